package dev.outbox.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Business transactions (one JPA entity + one event) committed by 1, 8, 32... writer
 * threads for a few seconds each, with the peer's delivery paused: how the write path
 * scales with writers.
 */
final class ConcurrentWritesWorkload implements Workload {

	@Override
	public String name() {
		return "concurrent-writes";
	}

	@Override
	public Map<String, Double> run(PeerBench bench, int round) {
		Peer peer = bench.peer();
		Map<String, Double> metrics = new LinkedHashMap<>();
		for (int writers : bench.options().writers()) {
			peer.pauseDelivery();
			AtomicLong committed = new AtomicLong();
			long start = System.nanoTime();
			long deadline = start + TimeUnit.SECONDS.toNanos(bench.options().writeSeconds());
			long end = PeerBench.runWriters(writers, (writer) -> {
				while (System.nanoTime() < deadline) {
					peer.transactions().executeWithoutResult((status) -> {
						long id = bench.nextId();
						peer.insertEntity(id);
						peer.publish(ComparedEvent.of("c-" + id, 0, id));
					});
					committed.incrementAndGet();
				}
			});
			double perSecond = committed.get() / ((end - start) / 1e9);
			bench.resumeAndDrain();
			System.out.printf("concurrent-writes: %s: %d writers, %,.0f tx/s%n", peer.id(), writers, perSecond);
			metrics.put("Concurrent writes, %d writer%s, delivery paused: entity + 1 event, tx/s".formatted(writers,
					(writers == 1) ? "" : "s"), perSecond);
		}
		return metrics;
	}

}
