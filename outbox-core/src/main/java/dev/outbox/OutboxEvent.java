package dev.outbox;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.util.Assert;

/**
 * An event to record in the outbox.
 * <p>
 * The common case is one line,
 * {@code OutboxEvent.of("orders", order.getId(), new OrderPlaced(..))}: the destination
 * (a Kafka topic or a RabbitMQ exchange), the aggregate id (also the message key, so
 * events of one aggregate are delivered in order) and the payload (serialized as JSON by
 * default). Everything else has a default and can be set with {@link #builder(String)}.
 * <p>
 * Every argument is checked where it is passed: a {@code null} (or, for text, blank) one
 * throws an {@link IllegalArgumentException} naming it.
 *
 * @param destination Kafka topic or RabbitMQ exchange
 * @param routingKey RabbitMQ routing key, or {@code null} for the event type; ignored by
 * Kafka
 * @param aggregateType the aggregate type; defaults to the destination
 * @param aggregateId the aggregate id
 * @param eventType the logical event type; defaults to the payload's
 * {@link OutboxEventType} or simple class name
 * @param key the message key, the unit of ordering; defaults to the aggregate id
 * @param payload the payload
 * @param headers extra headers sent with the message
 * @param availableAt not delivered before this instant, or {@code null} for at once
 * @param expiresAt never delivered from this instant on (by the database's clock), or
 * {@code null} for never; an event still unsent then is marked expired, and the broker is
 * told the time left (see {@link Builder#expiresAt(Instant)})
 */
public record OutboxEvent(String destination, @Nullable String routingKey, String aggregateType, String aggregateId,
		String eventType, String key, Object payload, Map<String, String> headers, @Nullable Instant availableAt,
		@Nullable Instant expiresAt) {

	/**
	 * Validate and copy the values.
	 * @param destination Kafka topic or RabbitMQ exchange
	 * @param routingKey RabbitMQ routing key, or {@code null}
	 * @param aggregateType the aggregate type
	 * @param aggregateId the aggregate id
	 * @param eventType the logical event type
	 * @param key the message key
	 * @param payload the payload
	 * @param headers extra headers
	 * @param availableAt earliest delivery, or {@code null}
	 * @param expiresAt expiry, or {@code null}
	 * @throws IllegalArgumentException if a text is {@code null} or blank, the payload or
	 * headers {@code null}, a header name blank or value {@code null}, or the expiry not
	 * after the earliest delivery
	 */
	public OutboxEvent {
		requireText(destination, "destination");
		requireText(aggregateType, "aggregateType");
		requireText(aggregateId, "aggregateId");
		requireText(eventType, "eventType");
		requireText(key, "key");
		requireNonNull(payload, "payload");
		requireNonNull(headers, "headers");
		headers.forEach((name, value) -> requireHeader(name, value));
		headers = Map.copyOf(headers);
		if (expiresAt != null && availableAt != null && !expiresAt.isAfter(availableAt)) {
			throw new IllegalArgumentException("expiresAt (" + expiresAt + ") must be after availableAt (" + availableAt
					+ "): the event could never be sent");
		}
	}

	/**
	 * Validate and copy the values of an event that does not expire.
	 * @param destination Kafka topic or RabbitMQ exchange
	 * @param routingKey RabbitMQ routing key, or {@code null}
	 * @param aggregateType the aggregate type
	 * @param aggregateId the aggregate id
	 * @param eventType the logical event type
	 * @param key the message key
	 * @param payload the payload
	 * @param headers extra headers
	 * @param availableAt earliest delivery, or {@code null}
	 * @throws IllegalArgumentException if a text is {@code null} or blank, the payload or
	 * headers {@code null}, or a header name blank or value {@code null}
	 */
	public OutboxEvent(String destination, @Nullable String routingKey, String aggregateType, String aggregateId,
			String eventType, String key, Object payload, Map<String, String> headers, @Nullable Instant availableAt) {
		this(destination, routingKey, aggregateType, aggregateId, eventType, key, payload, headers, availableAt, null);
	}

	/**
	 * An event for the given destination and aggregate, with every other value defaulted.
	 * @param destination Kafka topic or RabbitMQ exchange
	 * @param aggregateId the aggregate id (its {@code toString()}), also the message key
	 * @param payload the payload
	 * @return the event
	 * @throws IllegalArgumentException if an argument is {@code null}, or the destination
	 * or aggregate id blank
	 */
	public static OutboxEvent of(String destination, Object aggregateId, Object payload) {
		return builder(destination).aggregateId(aggregateId).payload(payload).build();
	}

	/**
	 * Start building an event for the given destination.
	 * @param destination Kafka topic or RabbitMQ exchange
	 * @return a builder
	 * @throws IllegalArgumentException if the destination is {@code null} or blank
	 */
	public static Builder builder(String destination) {
		requireText(destination, "destination");
		return new Builder(destination);
	}

	/**
	 * The logical type name of a payload class: its {@link OutboxEventType} value, or its
	 * simple name.
	 * @param payloadType the payload class
	 * @return the logical type name
	 */
	public static String eventTypeOf(Class<?> payloadType) {
		requireNonNull(payloadType, "payloadType");
		OutboxEventType annotation = payloadType.getAnnotation(OutboxEventType.class);
		return (annotation != null) ? annotation.value() : payloadType.getSimpleName();
	}

	private static void requireText(@Nullable String value, String name) {
		Assert.hasText(value, () -> name + " must not be null or blank");
	}

	private static void requireNonNull(@Nullable Object value, String name) {
		Assert.notNull(value, () -> name + " must not be null");
	}

	private static void requireHeader(@Nullable String name, @Nullable String value) {
		requireText(name, "header name");
		requireNonNull(value, "value of header '" + name + "'");
	}

	/**
	 * Builder of {@link OutboxEvent}.
	 */
	public static final class Builder {

		private final String destination;

		private @Nullable String routingKey;

		private @Nullable String aggregateType;

		private @Nullable String aggregateId;

		private @Nullable String eventType;

		private @Nullable String key;

		private @Nullable Object payload;

		private final Map<String, String> headers = new LinkedHashMap<>();

		private @Nullable Instant availableAt;

		private @Nullable Instant expiresAt;

		private Builder(String destination) {
			this.destination = destination;
		}

		/**
		 * Set the RabbitMQ routing key (default: the event type).
		 * @param routingKey the routing key
		 * @return this builder
		 */
		public Builder routingKey(String routingKey) {
			requireNonNull(routingKey, "routingKey");
			this.routingKey = routingKey;
			return this;
		}

		/**
		 * Set the aggregate type and id.
		 * @param aggregateType the aggregate type
		 * @param aggregateId the aggregate id (its {@code toString()})
		 * @return this builder
		 */
		public Builder aggregate(String aggregateType, Object aggregateId) {
			requireText(aggregateType, "aggregateType");
			this.aggregateType = aggregateType;
			return aggregateId(aggregateId);
		}

		/**
		 * Set the aggregate id; the aggregate type defaults to the destination.
		 * @param aggregateId the aggregate id (its {@code toString()})
		 * @return this builder
		 */
		public Builder aggregateId(Object aggregateId) {
			requireNonNull(aggregateId, "aggregateId");
			String id = aggregateId.toString();
			requireText(id, "aggregateId");
			this.aggregateId = id;
			return this;
		}

		/**
		 * Set the logical event type (default: from the payload class).
		 * @param eventType the event type
		 * @return this builder
		 */
		public Builder eventType(String eventType) {
			requireText(eventType, "eventType");
			this.eventType = eventType;
			return this;
		}

		/**
		 * Set the message key, the unit of ordering (default: the aggregate id).
		 * @param key the key
		 * @return this builder
		 */
		public Builder key(String key) {
			requireText(key, "key");
			this.key = key;
			return this;
		}

		/**
		 * Set the payload.
		 * @param payload the payload
		 * @return this builder
		 */
		public Builder payload(Object payload) {
			requireNonNull(payload, "payload");
			this.payload = payload;
			return this;
		}

		/**
		 * Add a header.
		 * @param name the header name
		 * @param value the header value
		 * @return this builder
		 */
		public Builder header(String name, String value) {
			requireHeader(name, value);
			this.headers.put(name, value);
			return this;
		}

		/**
		 * Deliver no earlier than the given instant (by the database's clock): the relay
		 * that owns the event's key sends it when it falls due, not at its next poll, and
		 * the later events of its key wait for it.
		 * @param availableAt the earliest delivery
		 * @return this builder
		 */
		public Builder availableAt(Instant availableAt) {
			requireNonNull(availableAt, "availableAt");
			this.availableAt = availableAt;
			return this;
		}

		/**
		 * Never deliver the event from the given instant on: if the relay has not sent it
		 * by then (the relay was stopped, the broker away, the event backing off after
		 * failures, or waiting behind a parked event of its key), it is marked
		 * {@code EXPIRED} instead, counted, and purged like published events; it no
		 * longer holds back the later events of its key. Whether it expired is decided by
		 * the database's clock, like due times. A RabbitMQ message carries the time left
		 * as its {@code expiration} property (so the queue drops it, to its dead-letter
		 * exchange if it has one, when no consumer takes it in time); a Kafka record
		 * carries the instant in the {@code outbox-expires-at} header. An instant already
		 * past when the event is published is accepted: the event is recorded with the
		 * business change and expires at once, unsent.
		 * @param expiresAt the expiry
		 * @return this builder
		 */
		public Builder expiresAt(Instant expiresAt) {
			requireNonNull(expiresAt, "expiresAt");
			this.expiresAt = expiresAt;
			return this;
		}

		/**
		 * Never deliver the event once the given time has passed from now (the system
		 * clock): the same as {@link #expiresAt(Instant) expiresAt(now + timeToLive)}.
		 * @param timeToLive the time to live, positive
		 * @return this builder
		 */
		public Builder timeToLive(Duration timeToLive) {
			return timeToLive(timeToLive, Clock.systemUTC());
		}

		Builder timeToLive(Duration timeToLive, Clock clock) {
			requireNonNull(timeToLive, "timeToLive");
			if (timeToLive.isNegative() || timeToLive.isZero()) {
				throw new IllegalArgumentException("timeToLive must be positive, was " + timeToLive);
			}
			return expiresAt(clock.instant().plus(timeToLive));
		}

		/**
		 * Build the event.
		 * @return the event
		 * @throws IllegalArgumentException if the aggregate id or payload is missing, or
		 * the expiry is not after the earliest delivery
		 */
		public OutboxEvent build() {
			if (this.aggregateId == null) {
				throw new IllegalArgumentException("aggregateId must be set");
			}
			if (this.payload == null) {
				throw new IllegalArgumentException("payload must be set");
			}
			String type = (this.eventType != null) ? this.eventType : eventTypeOf(this.payload.getClass());
			return new OutboxEvent(this.destination, this.routingKey,
					(this.aggregateType != null) ? this.aggregateType : this.destination, this.aggregateId, type,
					(this.key != null) ? this.key : this.aggregateId, this.payload, this.headers, this.availableAt,
					this.expiresAt);
		}

	}

}
