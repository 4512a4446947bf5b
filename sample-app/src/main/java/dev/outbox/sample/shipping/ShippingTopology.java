package dev.outbox.sample.shipping;

import dev.outbox.sample.orders.OrderService;
import org.apache.kafka.clients.admin.NewTopic;

import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.core.TopicExchange;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;
import org.springframework.kafka.config.TopicBuilder;

/**
 * The broker resources shipping consumes from, declared at start-up if they do not exist.
 * The outbox relay sends to them but creates none: a Kafka topic, or a RabbitMQ exchange
 * with at least one bound queue (an unroutable message counts as a failed send).
 */
@Configuration(proxyBeanMethods = false)
class ShippingTopology {

	@Configuration(proxyBeanMethods = false)
	@Profile("!rabbit")
	static class Kafka {

		@Bean
		NewTopic ordersTopic() {
			return TopicBuilder.name(OrderService.DESTINATION).partitions(3).build();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@Profile("rabbit")
	static class Rabbit {

		@Bean
		TopicExchange ordersExchange() {
			return new TopicExchange(OrderService.DESTINATION);
		}

		/**
		 * The demo's queue is deleted when the application stops (its consumer leaves),
		 * so a later run with a fresh database does not ship orders of an earlier one. A
		 * real consumer's queue is durable and outlives its consumers: messages wait
		 * there while it is down.
		 */
		@Bean
		Queue shippingQueue(@Value("${sample.shipping.queue}") String name) {
			return QueueBuilder.nonDurable(name).autoDelete().build();
		}

		@Bean
		Binding shippingBinding(TopicExchange ordersExchange, Queue shippingQueue) {
			return BindingBuilder.bind(shippingQueue).to(ordersExchange).with(OrderPlacedEvent.TYPE);
		}

	}

}
