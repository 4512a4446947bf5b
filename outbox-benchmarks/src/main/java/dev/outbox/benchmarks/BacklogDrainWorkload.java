package dev.outbox.benchmarks;

import java.util.Map;

/**
 * A backlog (as a broker outage leaves behind) drained: events over a number of keys
 * written while the peer's delivery is paused, in transactions of
 * {@value #PER_TRANSACTION}, then delivery resumed and timed until the store has none
 * left undelivered.
 */
final class BacklogDrainWorkload implements Workload {

	private static final int PER_TRANSACTION = 500;

	@Override
	public String name() {
		return "backlog-drain";
	}

	@Override
	public Map<String, Double> run(PeerBench bench, int round) {
		Peer peer = bench.peer();
		int events = bench.options().events();
		int keys = bench.options().keys();
		peer.pauseDelivery();
		for (int done = 0; done < events; done += PER_TRANSACTION) {
			int from = done;
			int size = Math.min(PER_TRANSACTION, events - done);
			peer.transactions().executeWithoutResult((status) -> {
				for (int i = from; i < from + size; i++) {
					peer.publish(ComparedEvent.of("k" + (i % keys), i / keys, bench.nextId()));
				}
			});
		}
		long start = System.nanoTime();
		peer.resumeDelivery();
		long end = peer.awaitDelivered(PeerBench.DELIVERY_TIMEOUT);
		double rate = events / ((end - start) / 1e9);
		System.out.printf("backlog-drain: %s: %,d events over %,d keys delivered in %.2f s = %,.0f events/s%n",
				peer.id(), events, keys, (end - start) / 1e9, rate);
		return Map.of("Drain: backlog of %,d events over %,d keys, events/s".formatted(events, keys), rate);
	}

}
