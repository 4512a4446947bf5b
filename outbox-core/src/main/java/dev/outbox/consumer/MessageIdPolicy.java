package dev.outbox.consumer;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.outbox.OutboxException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.util.Assert;

/**
 * The rules for consumer names and message ids: both at most
 * {@value IdempotentConsumer#MAX_LENGTH} characters, ids trimmed, and a missing id
 * rejected or let through per the {@link MissingMessageIdPolicy} (with a warning once per
 * consumer).
 */
final class MessageIdPolicy {

	private static final Log logger = LogFactory.getLog(IdempotentConsumer.class);

	private final MissingMessageIdPolicy missingMessageId;

	private final Set<String> warnedConsumers = ConcurrentHashMap.newKeySet();

	MessageIdPolicy(MissingMessageIdPolicy missingMessageId) {
		this.missingMessageId = missingMessageId;
	}

	/**
	 * The trimmed message id, or {@code null} if there is none and the policy lets the
	 * message through.
	 * @throws MissingMessageIdException if there is none and the policy rejects it
	 * @throws OutboxException if it is longer than the table holds
	 */
	@Nullable String checkedId(String consumer, @Nullable String messageId) {
		String id = (messageId != null && !messageId.isBlank()) ? messageId.trim() : null;
		if (id == null) {
			if (this.missingMessageId == MissingMessageIdPolicy.REJECT) {
				throw new MissingMessageIdException(consumer);
			}
		}
		else if (id.length() > IdempotentConsumer.MAX_LENGTH) {
			throw new OutboxException("Message id for idempotent consumer '" + consumer + "' is longer than "
					+ IdempotentConsumer.MAX_LENGTH + " characters; use a shorter id (the outbox writes UUIDs)");
		}
		return id;
	}

	void warnOfMissingIds(String consumer) {
		if (this.warnedConsumers.add(consumer)) {
			logger.warn("Idempotent consumer '" + consumer
					+ "' received a message without a message id; processing it without deduplication"
					+ " (logged once per consumer)");
		}
	}

	static void checkConsumer(@Nullable String consumer) {
		Assert.hasText(consumer, "consumer must not be null or blank");
		if (consumer.length() > IdempotentConsumer.MAX_LENGTH) {
			throw new IllegalArgumentException("consumer must be at most " + IdempotentConsumer.MAX_LENGTH
					+ " characters (the idempotent consumer's name), was '" + consumer.substring(0, 80) + "...'");
		}
	}

}
