package dev.outbox;

/**
 * Names of the message headers the relay writes (Kafka record headers, RabbitMQ message
 * headers). Consumers read the message id from {@link #MESSAGE_ID}.
 */
public final class OutboxHeaders {

	/** The message id: a UUID, the same for every delivery of one event. */
	public static final String MESSAGE_ID = "outbox-message-id";

	/** The logical event type. */
	public static final String EVENT_TYPE = "outbox-event-type";

	/** The aggregate type. */
	public static final String AGGREGATE_TYPE = "outbox-aggregate-type";

	/** The aggregate id. */
	public static final String AGGREGATE_ID = "outbox-aggregate-id";

	/** When the event was recorded (ISO-8601 instant). */
	public static final String CREATED_AT = "outbox-created-at";

	/**
	 * When the event expires (ISO-8601 instant, for example
	 * {@code 2026-01-02T03:04:05.123456Z}), on events that have an expiry: a consumer may
	 * drop a message it takes after it.
	 */
	public static final String EXPIRES_AT = "outbox-expires-at";

	/** W3C trace context of the transaction that recorded the event. */
	public static final String TRACEPARENT = "traceparent";

	private OutboxHeaders() {
	}

}
