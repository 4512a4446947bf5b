package dev.outbox.sample.shipping;

import dev.outbox.OutboxHeaders;
import dev.outbox.consumer.IdempotentListener;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.context.annotation.Profile;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.stereotype.Component;

/**
 * Shipping over RabbitMQ ({@code rabbit} profile): the outbox relay publishes to the
 * exchange {@code orders} with the event type as routing key; shipping consumes its own
 * queue ({@code sample.shipping.queue}, default {@code shipping.orders}) bound to it.
 * {@link ShippingTopology} declares them.
 */
@Component
@Profile("rabbit")
class RabbitShippingListener extends ShippingListener {

	RabbitShippingListener(ShippingService shipping, JsonMapper json) {
		super(shipping, json);
	}

	@RabbitListener(queues = "${sample.shipping.queue}")
	@IdempotentListener(CONSUMER)
	/**
	 * Handle one message, at most once per message id.
	 * @param payload the JSON payload
	 * @param messageId the outbox message id
	 * @param eventType the logical event type
	 */
	public void onMessage(@Payload byte[] payload, @Header(OutboxHeaders.MESSAGE_ID) String messageId,
			@Header(OutboxHeaders.EVENT_TYPE) String eventType) {
		handle(payload, messageId, eventType);
	}

}
