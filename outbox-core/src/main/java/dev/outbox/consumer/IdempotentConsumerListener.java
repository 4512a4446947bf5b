package dev.outbox.consumer;

/**
 * Callbacks of the {@link IdempotentConsumer}, for metrics and logging. Methods are
 * called after the transaction finished; they must not throw.
 */
public interface IdempotentConsumerListener {

	/** A listener that does nothing. */
	IdempotentConsumerListener NONE = new IdempotentConsumerListener() {
	};

	/**
	 * A message was skipped because its id was already processed by the consumer.
	 * @param consumer the consumer name
	 * @param messageId the message id
	 */
	default void duplicateSkipped(String consumer, String messageId) {
	}

	/**
	 * A message without a message id was processed without deduplication
	 * ({@link MissingMessageIdPolicy#PROCESS}).
	 * @param consumer the consumer name
	 */
	default void processedWithoutMessageId(String consumer) {
	}

}
