package dev.outbox.autoconfigure.consumer;

import dev.outbox.consumer.IdempotentConsumerListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;

/**
 * Counts what the idempotent consumer skipped ({@code outbox.consumer.duplicates}) and
 * processed without a message id ({@code outbox.consumer.missing-message-id}), tagged
 * with the consumer name. The registry is looked up on first use.
 */
final class OutboxConsumerMetrics implements IdempotentConsumerListener {

	/** Counter of skipped duplicates. */
	static final String DUPLICATES = "outbox.consumer.duplicates";

	/** Counter of messages processed without a message id. */
	static final String MISSING_MESSAGE_ID = "outbox.consumer.missing-message-id";

	private final ObjectProvider<MeterRegistry> registry;

	OutboxConsumerMetrics(ObjectProvider<MeterRegistry> registry) {
		this.registry = registry;
	}

	@Override
	public void duplicateSkipped(String consumer, String messageId) {
		increment(DUPLICATES, "Duplicate messages skipped by the idempotent consumer", consumer);
	}

	@Override
	public void processedWithoutMessageId(String consumer) {
		increment(MISSING_MESSAGE_ID, "Messages processed without a message id, so without deduplication", consumer);
	}

	private void increment(String name, String description, String consumer) {
		this.registry.ifAvailable((registry) -> Counter.builder(name)
			.description(description)
			.tag("consumer", consumer)
			.register(registry)
			.increment());
	}

}
