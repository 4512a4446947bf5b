package dev.outbox.autoconfigure.jdbc.jpa;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * A business entity saved in the same transaction as an outbox event.
 */
@Entity
@Table(name = "jpa_orders")
public class OrderEntity {

	@Id
	private Long id;

	private int total;

	protected OrderEntity() {
	}

	OrderEntity(long id, int total) {
		this.id = id;
		this.total = total;
	}

	Long getId() {
		return this.id;
	}

	int getTotal() {
		return this.total;
	}

}
