package dev.outbox.spi;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Told by the relay what happened to the events it sent, for metrics and logs. Called by
 * the relay's threads after the outcome is stored, one call at a time
 * ({@link #onPublished} by the thread that marks confirmed events published in the
 * background, the others by the relay thread): implementations must return quickly and
 * never throw. Every method does nothing by default.
 */
public interface OutboxRelayListener {

	/**
	 * Events the broker confirmed and that are now marked published.
	 * @param messages the confirmed messages
	 * @param confirmedAt when the confirms were received
	 */
	default void onPublished(List<OutboxMessage> messages, Instant confirmedAt) {
	}

	/**
	 * An event that failed and will be retried.
	 * @param message the message
	 * @param attempts the failed attempts so far
	 * @param error the recorded error
	 */
	default void onFailed(OutboxMessage message, int attempts, String error) {
	}

	/**
	 * An event that failed for the last allowed time and is now parked: it is not retried
	 * and the later events of its key wait behind it.
	 * @param message the message
	 * @param attempts the failed attempts
	 * @param error the recorded error
	 */
	default void onParked(OutboxMessage message, int attempts, String error) {
	}

	/**
	 * An event that reached its expiry unsent and is now marked expired: it is never
	 * sent, and the later events of its key no longer wait for it.
	 * @param event the expired event
	 */
	default void onExpired(ExpiredEvent event) {
	}

	/**
	 * An event the relay marked expired (its payload is not read).
	 *
	 * @param id the message id
	 * @param destination Kafka topic or RabbitMQ exchange
	 * @param eventType the logical event type
	 * @param key the message key
	 * @param expiresAt when it expired
	 */
	record ExpiredEvent(UUID id, String destination, String eventType, String key, Instant expiresAt) {
	}

}
