package dev.outbox.consumer;

/**
 * What the idempotent consumer does with a message that carries no message id.
 */
public enum MissingMessageIdPolicy {

	/**
	 * Throw a {@link MissingMessageIdException} without running the handler. Configure
	 * the broker's error handling to treat it as not retryable, so the message goes to
	 * the dead-letter topic or exchange at once.
	 */
	REJECT,

	/**
	 * Run the handler without deduplication (in a transaction, recording nothing) and log
	 * a warning once per consumer.
	 */
	PROCESS

}
