package dev.outbox.spi;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

/**
 * An event as stored in the outbox and handed to an {@link OutboxSender}: the payload is
 * already serialized.
 *
 * @param id the message id
 * @param destination Kafka topic or RabbitMQ exchange
 * @param routingKey RabbitMQ routing key, or {@code null} for the event type
 * @param aggregateType the aggregate type
 * @param aggregateId the aggregate id
 * @param eventType the logical event type
 * @param key the message key
 * @param payload the serialized payload
 * @param contentType the payload's content type, for example {@code application/json}
 * @param headers the headers recorded with the event
 * @param createdAt when the event was recorded
 * @param expiresAt when the event expires ({@code OutboxEvent.Builder.expiresAt}), or
 * {@code null} if it never does. The relay sends only events that had not expired when it
 * read them (by the database's clock); a sender tells the broker the time left, so that a
 * message a consumer has not taken by then is dropped, as RabbitMQ does with the
 * {@code expiration} property
 */
public record OutboxMessage(UUID id, String destination, @Nullable String routingKey, String aggregateType,
		String aggregateId, String eventType, String key, byte[] payload, String contentType,
		Map<String, String> headers, Instant createdAt, @Nullable Instant expiresAt) {

	/**
	 * A message that does not expire.
	 * @param id the message id
	 * @param destination Kafka topic or RabbitMQ exchange
	 * @param routingKey RabbitMQ routing key, or {@code null} for the event type
	 * @param aggregateType the aggregate type
	 * @param aggregateId the aggregate id
	 * @param eventType the logical event type
	 * @param key the message key
	 * @param payload the serialized payload
	 * @param contentType the payload's content type
	 * @param headers the headers recorded with the event
	 * @param createdAt when the event was recorded
	 */
	public OutboxMessage(UUID id, String destination, @Nullable String routingKey, String aggregateType,
			String aggregateId, String eventType, String key, byte[] payload, String contentType,
			Map<String, String> headers, Instant createdAt) {
		this(id, destination, routingKey, aggregateType, aggregateId, eventType, key, payload, contentType, headers,
				createdAt, null);
	}

	/**
	 * The RabbitMQ routing key: the one set, or the event type.
	 * @return the routing key to use
	 */
	public String effectiveRoutingKey() {
		return (this.routingKey != null) ? this.routingKey : this.eventType;
	}

}
