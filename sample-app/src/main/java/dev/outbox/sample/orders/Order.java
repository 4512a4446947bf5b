package dev.outbox.sample.orders;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.jspecify.annotations.Nullable;

/**
 * An order, as stored in the {@code orders} table.
 */
@Entity
@Table(name = "orders")
public class Order {

	@Id
	@GeneratedValue(strategy = GenerationType.IDENTITY)
	private @Nullable Long id;

	@Column(nullable = false)
	private String customer;

	@Column(nullable = false)
	private BigDecimal amount;

	@Column(nullable = false)
	private Instant placedAt;

	/** Message id of the OrderPlaced event recorded with this order. */
	private @Nullable UUID eventId;

	/**
	 * For JPA.
	 */
	protected Order() {
		this.customer = "";
		this.amount = BigDecimal.ZERO;
		this.placedAt = Instant.EPOCH;
	}

	/**
	 * A new order.
	 * @param customer who placed it
	 * @param amount its total
	 * @param placedAt when it was placed
	 */
	public Order(String customer, BigDecimal amount, Instant placedAt) {
		this.customer = customer;
		this.amount = amount;
		this.placedAt = placedAt;
	}

	/**
	 * The order id, assigned by the database.
	 * @return the id
	 * @throws IllegalStateException if the order was not saved yet
	 */
	public long getId() {
		if (this.id == null) {
			throw new IllegalStateException("Order has no id before it is saved");
		}
		return this.id;
	}

	/**
	 * Who placed the order.
	 * @return the customer
	 */
	public String getCustomer() {
		return this.customer;
	}

	/**
	 * The order's total.
	 * @return the amount
	 */
	public BigDecimal getAmount() {
		return this.amount;
	}

	/**
	 * When the order was placed.
	 * @return the instant
	 */
	public Instant getPlacedAt() {
		return this.placedAt;
	}

	/**
	 * Message id of the {@link OrderPlaced} event recorded with this order.
	 * @return the message id, or {@code null} before the event is recorded
	 */
	public @Nullable UUID getEventId() {
		return this.eventId;
	}

	void setEventId(UUID eventId) {
		this.eventId = eventId;
	}

}
