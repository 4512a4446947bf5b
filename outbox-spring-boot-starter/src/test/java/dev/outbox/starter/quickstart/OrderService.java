package dev.outbox.starter.quickstart;

import java.math.BigDecimal;

import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
class OrderService {

	private final JdbcClient db;

	private final Outbox outbox;

	OrderService(JdbcClient db, Outbox outbox) {
		this.db = db;
		this.outbox = outbox;
	}

	@Transactional
	public long place(String customer, BigDecimal total) {
		long orderId = this.db.sql("insert into orders (customer, total) values (?, ?) returning id")
			.params(customer, total)
			.query(Long.class)
			.single();
		this.outbox.publish(OutboxEvent.of("orders", orderId, new OrderPlaced(orderId, total)));
		return orderId;
	}

}
