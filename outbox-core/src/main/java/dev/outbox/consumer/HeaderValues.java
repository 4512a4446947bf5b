package dev.outbox.consumer;

import java.nio.charset.StandardCharsets;

import org.jspecify.annotations.Nullable;

/**
 * Turns header values into message ids.
 */
final class HeaderValues {

	/** Spring AMQP's mapped header for the AMQP {@code messageId} property. */
	static final String AMQP_MESSAGE_ID = "amqp_messageId";

	private HeaderValues() {
	}

	static @Nullable String asId(@Nullable Object value) {
		if (value == null) {
			return null;
		}
		String id = (value instanceof byte[] bytes) ? new String(bytes, StandardCharsets.UTF_8) : value.toString();
		return id.isBlank() ? null : id.trim();
	}

}
