package dev.outbox.consumer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

import dev.outbox.CloudEvents;
import org.jspecify.annotations.Nullable;

/**
 * Turns header values into message ids.
 */
final class HeaderValues {

	/** Spring AMQP's mapped header for the AMQP {@code messageId} property. */
	static final String AMQP_MESSAGE_ID = "amqp_messageId";

	/**
	 * The headers holding a CloudEvent's id (Kafka and AMQP protocol bindings), read when
	 * the outbox message-id header is absent, as on messages sent in the CloudEvents
	 * format by other producers.
	 */
	static final List<String> CLOUD_EVENT_IDS = List.of(CloudEvents.KAFKA_ID, CloudEvents.AMQP_ID,
			CloudEvents.AMQP_ALTERNATIVE_ID);

	private HeaderValues() {
	}

	/**
	 * The id in the named header, else in a CloudEvent id header.
	 * @param headerName the message-id header
	 * @param headers the value of a header by name, or {@code null}
	 * @return the id, or {@code null}
	 */
	static @Nullable String idOrCloudEventId(String headerName, Function<String, @Nullable Object> headers) {
		String id = asId(headers.apply(headerName));
		for (int i = 0; id == null && i < CLOUD_EVENT_IDS.size(); i++) {
			id = asId(headers.apply(CLOUD_EVENT_IDS.get(i)));
		}
		return id;
	}

	static @Nullable String asId(@Nullable Object value) {
		if (value == null) {
			return null;
		}
		String id = (value instanceof byte[] bytes) ? new String(bytes, StandardCharsets.UTF_8) : value.toString();
		return id.isBlank() ? null : id.trim();
	}

}
