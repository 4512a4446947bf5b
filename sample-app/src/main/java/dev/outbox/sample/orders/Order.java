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

	/** Longest customer name: the {@code orders.customer} column's length. */
	public static final int MAX_CUSTOMER_LENGTH = 255;

	/** Decimals of an amount: the {@code orders.amount} column's scale. */
	public static final int AMOUNT_SCALE = 2;

	/** Digits of an amount: the {@code orders.amount} column's precision. */
	public static final int AMOUNT_PRECISION = 12;

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
	 * A new order. The amount is stored with exactly {@value #AMOUNT_SCALE} decimals, as
	 * the column keeps it, so the event built from this order carries the stored value.
	 * @param customer who placed it: not blank, at most {@value #MAX_CUSTOMER_LENGTH}
	 * characters
	 * @param amount its total: positive, at most {@value #AMOUNT_SCALE} decimals and
	 * {@value #AMOUNT_PRECISION} digits
	 * @param placedAt when it was placed
	 * @throws InvalidOrderException if the customer or the amount breaks these rules
	 */
	public Order(String customer, BigDecimal amount, Instant placedAt) {
		this.customer = checkCustomer(customer);
		this.amount = normalize(amount);
		this.placedAt = placedAt;
	}

	private static String checkCustomer(String customer) {
		if (customer.isBlank()) {
			throw new InvalidOrderException("The customer must not be blank");
		}
		if (customer.length() > MAX_CUSTOMER_LENGTH) {
			throw new InvalidOrderException(
					"The customer has " + customer.length() + " characters, at most " + MAX_CUSTOMER_LENGTH + " fit");
		}
		return customer;
	}

	private static BigDecimal normalize(BigDecimal amount) {
		if (amount.signum() <= 0) {
			throw new InvalidOrderException("The amount must be positive, for example 42.50");
		}
		BigDecimal stripped = amount.stripTrailingZeros();
		if (stripped.scale() > AMOUNT_SCALE) {
			throw new InvalidOrderException(
					"The amount " + amount.toPlainString() + " has more than " + AMOUNT_SCALE + " decimals");
		}
		BigDecimal normalized = stripped.setScale(AMOUNT_SCALE);
		if (normalized.precision() > AMOUNT_PRECISION) {
			throw new InvalidOrderException("The amount " + amount.toPlainString() + " has more than "
					+ (AMOUNT_PRECISION - AMOUNT_SCALE) + " digits before the decimal point");
		}
		return normalized;
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
