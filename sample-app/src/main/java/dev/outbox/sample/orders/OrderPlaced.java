package dev.outbox.sample.orders;

import java.math.BigDecimal;
import java.time.Instant;

import dev.outbox.OutboxEventType;

/**
 * The event published when an order is placed: the payload of the message (JSON), with
 * the logical type {@code order-placed} in the {@code outbox-event-type} header.
 *
 * @param orderId the order id
 * @param customer who placed the order
 * @param amount the order's total
 * @param placedAt when the order was placed
 */
@OutboxEventType(OrderPlaced.TYPE)
public record OrderPlaced(long orderId, String customer, BigDecimal amount, Instant placedAt) {

	/** The logical event type. */
	public static final String TYPE = "order-placed";

	/**
	 * The event for a saved order.
	 * @param order the order
	 * @return the event
	 */
	public static OrderPlaced of(Order order) {
		return new OrderPlaced(order.getId(), order.getCustomer(), order.getAmount(), order.getPlacedAt());
	}

}
