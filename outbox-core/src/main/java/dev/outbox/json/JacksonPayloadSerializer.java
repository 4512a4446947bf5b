package dev.outbox.json;

import java.util.Objects;

import dev.outbox.spi.PayloadSerializer;
import tools.jackson.databind.json.JsonMapper;

/**
 * Serializes payloads as JSON with a Jackson 3 {@link JsonMapper}. Only the JSON is
 * stored: no Java class name is written, so consumers never instantiate a type named by a
 * message.
 */
public final class JacksonPayloadSerializer implements PayloadSerializer {

	/** The content type of the serialized payloads. */
	public static final String CONTENT_TYPE = "application/json";

	private final JsonMapper mapper;

	/**
	 * Create a serializer with a default {@link JsonMapper}.
	 */
	public JacksonPayloadSerializer() {
		this(JsonMapper.builder().build());
	}

	/**
	 * Create a serializer with the given mapper, for example the application's.
	 * @param mapper the mapper
	 */
	public JacksonPayloadSerializer(JsonMapper mapper) {
		this.mapper = Objects.requireNonNull(mapper, "mapper must not be null");
	}

	@Override
	public byte[] serialize(Object payload) {
		return this.mapper.writeValueAsBytes(payload);
	}

	@Override
	public String contentType() {
		return CONTENT_TYPE;
	}

}
