package dev.outbox.benchmarks;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * The business entity of the write benchmark.
 */
@Entity
@Table(name = "benchmark_order")
public class BenchmarkOrder {

	@Id
	private Long id;

	private String customer;

	private int total;

	protected BenchmarkOrder() {
	}

	BenchmarkOrder(long id, String customer, int total) {
		this.id = id;
		this.customer = customer;
		this.total = total;
	}

	Long getId() {
		return this.id;
	}

	void addToTotal(int amount) {
		this.total += amount;
	}

}
