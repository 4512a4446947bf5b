package dev.outbox.admin;

import java.time.Instant;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

/**
 * An event the relay could not deliver: parked, or pending with failed attempts.
 *
 * @param id the message id
 * @param state {@link State#PARKED} or {@link State#FAILING}
 * @param destination Kafka topic or RabbitMQ exchange
 * @param key the message key
 * @param eventType the logical event type
 * @param aggregateType the aggregate type
 * @param aggregateId the aggregate id
 * @param attempts the failed attempts
 * @param lastError the error recorded by the last attempt (exception class and message),
 * or {@code null}
 * @param createdAt when the event was recorded
 * @param availableAt the earliest next attempt of a failing event (for a parked one, the
 * time it would have been retried)
 * @param contentType the payload's content type
 * @param payload the serialized payload, only when asked for, else {@code null}
 */
public record FailedEvent(UUID id, State state, String destination, String key, String eventType, String aggregateType,
		String aggregateId, int attempts, @Nullable String lastError, Instant createdAt, Instant availableAt,
		String contentType, byte @Nullable [] payload) {

	/**
	 * Why the event is listed.
	 */
	public enum State {

		/** Failed for the last allowed time; not retried until replayed. */
		PARKED,

		/** Failed at least once; retried after its backoff. */
		FAILING

	}

}
