package dev.outbox.autoconfigure.jdbc.jpa;

import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;

import org.springframework.transaction.annotation.Transactional;

/**
 * Saves an order with Spring Data JPA and records its event in the same transaction.
 */
class OrderService {

	private final OrderRepository orders;

	private final Outbox outbox;

	OrderService(OrderRepository orders, Outbox outbox) {
		this.orders = orders;
		this.outbox = outbox;
	}

	@Transactional
	public void place(long id, int total, String note, boolean fail) {
		OrderEntity order = this.orders.save(new OrderEntity(id, total));
		this.outbox.publish(OutboxEvent.of("orders", order.getId(), new OrderPlaced(order.getId(), total, note)));
		if (fail) {
			throw new IllegalStateException("business rule failed after publishing");
		}
	}

	record OrderPlaced(long orderId, int total, String note) {
	}

}
