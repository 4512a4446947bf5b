package dev.outbox.json;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link JacksonPayloadSerializer}.
 */
class JacksonPayloadSerializerTests {

	@Test
	void writesJsonWithoutTypeInformation() {
		byte[] json = new JacksonPayloadSerializer()
			.serialize(new OrderPlaced(42, Instant.parse("2030-01-02T03:04:05Z")));
		assertThat(new String(json, StandardCharsets.UTF_8))
			.isEqualTo("{\"orderId\":42,\"placedAt\":\"2030-01-02T03:04:05Z\"}");
	}

	@Test
	void usesTheGivenMapper() {
		JsonMapper mapper = JsonMapper.builder().build();
		JacksonPayloadSerializer serializer = new JacksonPayloadSerializer(mapper);
		assertThat(serializer.contentType()).isEqualTo("application/json");
		assertThat(serializer.serialize("text")).asString(StandardCharsets.UTF_8).isEqualTo("\"text\"");
	}

	@Test
	void failsOnUnserializablePayload() {
		assertThatExceptionOfType(JacksonException.class)
			.isThrownBy(() -> new JacksonPayloadSerializer().serialize(new Failing()));
	}

	record OrderPlaced(long orderId, Instant placedAt) {
	}

	static final class Failing {

		public String getValue() {
			throw new IllegalStateException("unreadable");
		}

	}

}
