package dev.outbox.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Commit-to-consumer latency at a steady rate: {@value #WRITERS} paced writers commit one
 * event per transaction; the time runs from an after-commit callback that runs before any
 * other to the arrival of the record at a consumer of the topic in the same JVM. The
 * measured seconds follow {@value #WARM_UP_SECONDS} unmeasured seconds at the same rate,
 * delivered before the measurement starts, so that a round measures warm code paths
 * whatever ran before it.
 */
final class LatencyWorkload implements Workload {

	private static final int WRITERS = 4;

	private static final int WARM_UP_SECONDS = 3;

	@Override
	public String name() {
		return "latency";
	}

	@Override
	public Map<String, Double> run(PeerBench bench, int round) {
		Peer peer = bench.peer();
		TopicProbe probe = bench.probe();
		int rate = bench.options().rate();
		int total = rate * bench.options().seconds();
		Map<String, Long> committed = new ConcurrentHashMap<>();
		writeAtRate(bench, round, rate * WARM_UP_SECONDS, new ConcurrentHashMap<>());
		peer.awaitDelivered(PeerBench.DELIVERY_TIMEOUT);
		probe.clear();
		writeAtRate(bench, round, total, committed);
		long deadline = System.nanoTime() + PeerBench.DELIVERY_TIMEOUT.toNanos();
		List<Long> latencies = new ArrayList<>(total);
		for (Map.Entry<String, Long> commit : committed.entrySet()) {
			Long arrival;
			while ((arrival = probe.arrival(commit.getKey())) == null) {
				if (System.nanoTime() > deadline) {
					throw new IllegalStateException(peer.id() + ": " + commit.getKey() + " did not reach the consumer");
				}
				PeerBench.sleep(TimeUnit.MILLISECONDS.toNanos(5));
			}
			latencies.add(Math.max(0, arrival - commit.getValue()));
		}
		peer.awaitDelivered(PeerBench.DELIVERY_TIMEOUT);
		Stats stats = Stats.of(latencies);
		System.out.printf("latency: %s: %,d events at %,d events/s, commit-to-consumer %s%n", peer.id(), stats.count(),
				rate, stats.millis());
		Map<String, Double> metrics = new LinkedHashMap<>();
		metrics.put("Commit-to-consumer at %,d events/s, p50 ms".formatted(rate), stats.p50Millis());
		metrics.put("Commit-to-consumer at %,d events/s, p99 ms".formatted(rate), stats.p99Millis());
		return metrics;
	}

	/**
	 * Commit {@code total} single-event transactions at the options' rate, noting each
	 * one's commit time by its key.
	 */
	private static void writeAtRate(PeerBench bench, int round, int total, Map<String, Long> committed) {
		Peer peer = bench.peer();
		int rate = bench.options().rate();
		long start = System.nanoTime();
		PeerBench.runWriters(WRITERS, (writer) -> {
			for (int i = writer; i < total; i += WRITERS) {
				long wait = start + (long) (i * (1e9 / rate)) - System.nanoTime();
				if (wait > 0) {
					PeerBench.sleep(wait);
				}
				long id = bench.nextId();
				String key = TopicProbe.LATENCY_PREFIX + round + "-" + id;
				peer.transactions().executeWithoutResult((status) -> {
					PeerBench.afterCommit(() -> committed.put(key, System.nanoTime()));
					peer.publish(ComparedEvent.of(key, 0, id));
				});
			}
		});
	}

}
