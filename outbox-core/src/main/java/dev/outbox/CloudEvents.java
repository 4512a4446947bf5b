package dev.outbox;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;

import org.jspecify.annotations.Nullable;

/**
 * The CloudEvents 1.0 attributes of an outbox message ({@link MessageFormat#CLOUDEVENTS})
 * and the header names the protocol bindings give them.
 * <p>
 * An outbox message becomes a CloudEvent with {@code id} = the message id, {@code type} =
 * the event type, {@code source} = a URI-reference configured per application,
 * {@code subject} = the aggregate id, {@code time} = when the event was recorded,
 * {@code datacontenttype} = the payload's content type and the payload as {@code data}.
 */
public final class CloudEvents {

	/** The CloudEvents specification version written: {@value}. */
	public static final String SPEC_VERSION = "1.0";

	/** The source of an application without a name: {@code /outbox}. */
	public static final URI DEFAULT_SOURCE = URI.create("/outbox");

	/** Prefix of the attribute headers of the Kafka protocol binding: {@value}. */
	public static final String KAFKA_PREFIX = "ce_";

	/** The Kafka record header holding the event id: {@value}. */
	public static final String KAFKA_ID = KAFKA_PREFIX + "id";

	/**
	 * Prefix of the attribute application properties of the AMQP protocol binding, the
	 * one its version 1.0.x prefers (JMS-compatible): {@value}.
	 */
	public static final String AMQP_PREFIX = "cloudEvents_";

	/** The AMQP application property holding the event id: {@value}. */
	public static final String AMQP_ID = AMQP_PREFIX + "id";

	/**
	 * The other prefix of the AMQP protocol binding, which consumers also understand:
	 * {@value}.
	 */
	public static final String AMQP_ALTERNATIVE_PREFIX = "cloudEvents:";

	/** The AMQP application property holding the event id with the other prefix. */
	public static final String AMQP_ALTERNATIVE_ID = AMQP_ALTERNATIVE_PREFIX + "id";

	/**
	 * The extension attribute holding when an event expires, on events that have an
	 * expiry: {@value}, a CloudEvents {@code Timestamp} (RFC 3339), so the Kafka header
	 * {@code ce_expiresat} and the AMQP application property
	 * {@code cloudEvents_expiresat}.
	 */
	public static final String EXPIRES_AT_EXTENSION = "expiresat";

	private CloudEvents() {
	}

	/**
	 * The default source of the events of an application: {@code urn:outbox:<name>}, or
	 * {@link #DEFAULT_SOURCE} if it has no name.
	 * @param applicationName the application's name, such as
	 * {@code spring.application.name}
	 * @return the source
	 */
	public static URI source(@Nullable String applicationName) {
		if (applicationName == null || applicationName.isBlank()) {
			return DEFAULT_SOURCE;
		}
		try {
			// quotes what a URN may not hold, such as spaces
			return new URI("urn", "outbox:" + applicationName.trim(), null);
		}
		catch (URISyntaxException ex) {
			throw new IllegalArgumentException("No CloudEvents source for application name '" + applicationName + "'",
					ex);
		}
	}

	/**
	 * Check a CloudEvents source: a non-empty URI-reference.
	 * @param source the source
	 * @return the source
	 * @throws IllegalArgumentException if it is empty
	 */
	public static URI checkSource(URI source) {
		if (source.toString().isEmpty()) {
			throw new IllegalArgumentException("A CloudEvents source must be a non-empty URI-reference");
		}
		return source;
	}

	/**
	 * The {@code time} attribute: an RFC 3339 timestamp in UTC.
	 * @param instant when the event was recorded
	 * @return the timestamp, for example {@code 2026-01-02T03:04:05.123456Z}
	 */
	public static String time(Instant instant) {
		return DateTimeFormatter.ISO_INSTANT.format(instant);
	}

}
