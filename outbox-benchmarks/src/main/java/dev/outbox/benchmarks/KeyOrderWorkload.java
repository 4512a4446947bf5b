package dev.outbox.benchmarks;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The per-key order probe: one thread commits single-event transactions alternating
 * between two keys, and the consumer counts the events that arrive after a later event of
 * their key.
 */
final class KeyOrderWorkload implements Workload {

	@Override
	public String name() {
		return "key-order";
	}

	@Override
	public Map<String, Double> run(PeerBench bench, int round) {
		Peer peer = bench.peer();
		TopicProbe probe = bench.probe();
		int events = bench.options().probeEvents();
		String[] keys = { TopicProbe.ORDER_PREFIX + round + "-a", TopicProbe.ORDER_PREFIX + round + "-b" };
		probe.clear();
		for (int i = 0; i < events; i++) {
			String key = keys[i % 2];
			long sequence = i / 2;
			peer.transactions()
				.executeWithoutResult((status) -> peer.publish(ComparedEvent.of(key, sequence, bench.nextId())));
		}
		long deadline = System.nanoTime() + PeerBench.DELIVERY_TIMEOUT.toNanos();
		while (probe.order(keys[0]).distinct() + probe.order(keys[1]).distinct() < events) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException(
						peer.id() + ": the order probe's events did not all reach the consumer");
			}
			PeerBench.sleep(TimeUnit.MILLISECONDS.toNanos(5));
		}
		peer.awaitDelivered(PeerBench.DELIVERY_TIMEOUT);
		int reordered = probe.order(keys[0]).reordered() + probe.order(keys[1]).reordered();
		int duplicates = probe.order(keys[0]).duplicates() + probe.order(keys[1]).duplicates();
		System.out.printf("key-order: %s: %d of %,d events arrived after a later one of their key (%d duplicates)%n",
				peer.id(), reordered, events, duplicates);
		return Map.of("Order probe: events out of key order, of %,d on 2 keys".formatted(events), (double) reordered);
	}

}
