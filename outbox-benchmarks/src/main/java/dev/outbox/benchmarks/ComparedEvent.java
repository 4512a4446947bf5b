package dev.outbox.benchmarks;

import dev.outbox.OutboxEventType;
import dev.outbox.benchmarks.WriteBenchmark.OrderPlaced;

import org.springframework.modulith.events.Externalized;

/**
 * The event every peer of {@code compare} writes and sends: about 1 KB of JSON, keyed by
 * {@code key}. {@code @Externalized} only matters to Spring Modulith, which routes it by
 * that annotation.
 *
 * @param key the message key (the aggregate id)
 * @param sequence the position of the event among those of its key, for the order probe
 * @param order the order placed
 */
@OutboxEventType("order-placed")
@Externalized(ModulithPeer.TOPIC + "::#{key()}")
record ComparedEvent(String key, long sequence, OrderPlaced order) {

	static ComparedEvent of(String key, long sequence, long orderId) {
		return new ComparedEvent(key, sequence, WriteBenchmark.payload(orderId));
	}

}
