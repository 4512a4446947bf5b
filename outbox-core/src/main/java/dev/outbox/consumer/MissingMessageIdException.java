package dev.outbox.consumer;

import dev.outbox.OutboxException;

/**
 * Thrown when a message reaches an idempotent consumer without a message id and the
 * policy is {@link MissingMessageIdPolicy#REJECT}. Retrying cannot help: treat it as not
 * retryable in the broker's error handling.
 */
public class MissingMessageIdException extends OutboxException {

	private final String consumer;

	/**
	 * Create an exception.
	 * @param consumer the consumer that received the message
	 */
	public MissingMessageIdException(String consumer) {
		super("Message for idempotent consumer '" + consumer
				+ "' has no message id: it was not sent through the outbox (header '"
				+ dev.outbox.OutboxHeaders.MESSAGE_ID
				+ "') and no MessageIdExtractor found one. Rejected without processing; set "
				+ "outbox.consumer.missing-message-id=process to process such messages without deduplication");
		this.consumer = consumer;
	}

	/**
	 * The consumer that received the message.
	 * @return the consumer name
	 */
	public String getConsumer() {
		return this.consumer;
	}

}
