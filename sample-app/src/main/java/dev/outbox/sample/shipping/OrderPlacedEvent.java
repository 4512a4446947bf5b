package dev.outbox.sample.shipping;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * What shipping reads from an {@code order-placed} message. Shipping has its own view of
 * the event (it does not share the orders module's class), matched by the logical event
 * type header, never by a Java class name; fields it does not need are ignored.
 *
 * @param orderId the order id
 * @param customer who placed the order
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record OrderPlacedEvent(long orderId, String customer) {

	/** The logical event type shipping handles. */
	public static final String TYPE = "order-placed";

}
