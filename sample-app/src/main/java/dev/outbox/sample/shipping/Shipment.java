package dev.outbox.sample.shipping;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.jspecify.annotations.Nullable;

/**
 * A shipment, the effect of handling an {@code OrderPlaced} event, stored in the
 * {@code shipments} table. There is deliberately no unique constraint on the order id: it
 * is the idempotent consumer that keeps a redelivered event from shipping twice.
 */
@Entity
@Table(name = "shipments")
public class Shipment {

	@Id
	@GeneratedValue(strategy = GenerationType.IDENTITY)
	private @Nullable Long id;

	@Column(nullable = false)
	private long orderId;

	@Column(nullable = false)
	private String customer;

	@Column(nullable = false)
	private String messageId;

	@Column(nullable = false)
	private Instant createdAt;

	/**
	 * For JPA.
	 */
	protected Shipment() {
		this.customer = "";
		this.messageId = "";
		this.createdAt = Instant.EPOCH;
	}

	/**
	 * A new shipment.
	 * @param orderId the order shipped
	 * @param customer who receives it
	 * @param messageId id of the message that caused it
	 * @param createdAt when it was created
	 */
	public Shipment(long orderId, String customer, String messageId, Instant createdAt) {
		this.orderId = orderId;
		this.customer = customer;
		this.messageId = messageId;
		this.createdAt = createdAt;
	}

	/**
	 * The shipment id, assigned by the database.
	 * @return the id
	 * @throws IllegalStateException if the shipment was not saved yet
	 */
	public long getId() {
		if (this.id == null) {
			throw new IllegalStateException("Shipment has no id before it is saved");
		}
		return this.id;
	}

	/**
	 * The order shipped.
	 * @return the order id
	 */
	public long getOrderId() {
		return this.orderId;
	}

	/**
	 * Who receives the shipment.
	 * @return the customer
	 */
	public String getCustomer() {
		return this.customer;
	}

	/**
	 * Id of the message that caused the shipment.
	 * @return the message id
	 */
	public String getMessageId() {
		return this.messageId;
	}

	/**
	 * When the shipment was created.
	 * @return the instant
	 */
	public Instant getCreatedAt() {
		return this.createdAt;
	}

}
