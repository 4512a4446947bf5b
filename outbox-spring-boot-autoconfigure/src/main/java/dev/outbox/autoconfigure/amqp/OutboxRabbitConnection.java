package dev.outbox.autoconfigure.amqp;

import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.beans.factory.DisposableBean;

/**
 * The relay's own RabbitMQ connection factory, with correlated publisher confirms and
 * returns (kept out of the context as a {@code ConnectionFactory} so that the
 * application's RabbitMQ auto-configuration is unaffected), closed on shutdown.
 */
final class OutboxRabbitConnection implements DisposableBean {

	private final CachingConnectionFactory connectionFactory;

	OutboxRabbitConnection(CachingConnectionFactory connectionFactory) {
		this.connectionFactory = connectionFactory;
	}

	CachingConnectionFactory connectionFactory() {
		return this.connectionFactory;
	}

	@Override
	public void destroy() {
		this.connectionFactory.destroy();
	}

}
