package dev.outbox;

/**
 * How the relay's senders shape the messages they send.
 */
public enum MessageFormat {

	/**
	 * The outbox's own headers ({@link OutboxHeaders}) next to the payload: what the
	 * outbox's idempotent consumer reads. The default.
	 */
	OUTBOX,

	/**
	 * A CloudEvent 1.0 in binary content mode: the payload is the event's data, its
	 * attributes travel as the protocol binding's headers ({@code ce_*} record headers on
	 * Kafka, {@code cloudEvents_*} application headers on RabbitMQ, see
	 * {@link CloudEvents}), so CloudEvents tooling and consumers in other languages
	 * understand the message. The {@link OutboxHeaders} are sent as well.
	 */
	CLOUDEVENTS

}
