package dev.outbox.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The cost of one event on a small business transaction (one JPA entity), one thread,
 * with the peer's delivery paused so that only the write path is measured: the two
 * variants run in ten interleaved slices after a warm-up, so that drift hits both.
 */
final class WriteOverheadWorkload implements Workload {

	private static final int SLICES = 10;

	@Override
	public String name() {
		return "write-overhead";
	}

	@Override
	public Map<String, Double> run(PeerBench bench, int round) {
		Peer peer = bench.peer();
		int perSlice = Math.max(1, bench.options().transactions() / SLICES);
		Runnable entityOnly = () -> peer.transactions()
			.executeWithoutResult((status) -> peer.insertEntity(bench.nextId()));
		Runnable withEvent = () -> peer.transactions().executeWithoutResult((status) -> {
			long id = bench.nextId();
			peer.insertEntity(id);
			peer.publish(ComparedEvent.of("w-" + id, 0, id));
		});
		peer.pauseDelivery();
		for (int i = 0; i < Math.max(100, perSlice * 2); i++) {
			entityOnly.run();
			withEvent.run();
		}
		long[] base = new long[perSlice * SLICES];
		long[] event = new long[perSlice * SLICES];
		for (int slice = 0; slice < SLICES; slice++) {
			measure(entityOnly, base, slice * perSlice, perSlice);
			measure(withEvent, event, slice * perSlice, perSlice);
		}
		bench.resumeAndDrain();
		Stats baseStats = Stats.of(base);
		Stats eventStats = Stats.of(event);
		System.out.printf(
				"write-overhead: %s: entity only p50 %.0f µs, mean %.0f µs; + 1 event p50 %.0f µs, mean %.0f µs%n",
				peer.id(), baseStats.p50(), baseStats.mean(), eventStats.p50(), eventStats.mean());
		Map<String, Double> metrics = new LinkedHashMap<>();
		metrics.put("Write, 1 thread, delivery paused: entity only, p50 µs", baseStats.p50());
		metrics.put("Write, 1 thread, delivery paused: entity + 1 event, p50 µs", eventStats.p50());
		metrics.put("Write: overhead of the event, p50, %", 100 * (eventStats.p50() / baseStats.p50() - 1));
		metrics.put("Write: overhead of the event, mean, %", 100 * (eventStats.mean() / baseStats.mean() - 1));
		return metrics;
	}

	private static void measure(Runnable transaction, long[] samples, int from, int count) {
		for (int i = from; i < from + count; i++) {
			long start = System.nanoTime();
			transaction.run();
			samples[i] = System.nanoTime() - start;
		}
	}

}
