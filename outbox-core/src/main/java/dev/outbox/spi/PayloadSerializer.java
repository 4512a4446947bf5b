package dev.outbox.spi;

/**
 * Turns an event payload into bytes for the outbox table. The default writes JSON with
 * Jackson; a custom one is used by declaring a bean of this type.
 */
public interface PayloadSerializer {

	/**
	 * Serialize a payload.
	 * @param payload the payload
	 * @return the bytes to store and send
	 * @throws RuntimeException if the payload cannot be serialized
	 */
	byte[] serialize(Object payload);

	/**
	 * The content type of what {@link #serialize(Object)} returns.
	 * @return the content type, for example {@code application/json}
	 */
	String contentType();

}
