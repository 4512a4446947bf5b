package dev.outbox.sample.orders;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;

import org.springframework.data.domain.Sort;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Places orders. The order row and its {@link OrderPlaced} event are written in one
 * transaction: both are stored, or neither is. The outbox relay delivers the event to the
 * broker after the commit.
 */
@Service
public class OrderService {

	/** The destination of order events: a Kafka topic or a RabbitMQ exchange. */
	public static final String DESTINATION = "orders";

	private final OrderRepository orders;

	private final Outbox outbox;

	private final Clock clock;

	OrderService(OrderRepository orders, Outbox outbox, Clock clock) {
		this.orders = orders;
		this.outbox = outbox;
		this.clock = clock;
	}

	/**
	 * Save a new order and record its {@link OrderPlaced} event.
	 * @param customer who places the order
	 * @param amount the order's total
	 * @return the saved order
	 */
	@Transactional
	public Order place(String customer, BigDecimal amount) {
		// PostgreSQL keeps microseconds: the event carries the same instant as the stored
		// order
		Instant now = this.clock.instant().truncatedTo(ChronoUnit.MICROS);
		Order order = this.orders.save(new Order(customer, amount, now));
		UUID messageId = this.outbox.publish(orderPlaced(order));
		order.setEventId(messageId);
		return order;
	}

	/**
	 * The {@link OrderPlaced} event of an order, to the {@value #DESTINATION} destination
	 * with the order id as aggregate id and message key.
	 * @param order a saved order
	 * @return the event
	 */
	static OutboxEvent orderPlaced(Order order) {
		return OutboxEvent.of(DESTINATION, order.getId(), OrderPlaced.of(order));
	}

	/**
	 * All orders, oldest first.
	 * @return the orders
	 */
	@Transactional(readOnly = true)
	public List<Order> findAll() {
		return this.orders.findAll(Sort.by("id"));
	}

	/**
	 * One order.
	 * @param id the order id
	 * @return the order, if it exists
	 */
	@Transactional(readOnly = true)
	public Optional<Order> find(long id) {
		return this.orders.findById(id);
	}

}
