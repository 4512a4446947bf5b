package dev.outbox.sample.shipping;

import dev.outbox.OutboxHeaders;
import dev.outbox.consumer.IdempotentListener;
import dev.outbox.sample.orders.OrderService;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.context.annotation.Profile;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.handler.annotation.Payload;
import org.springframework.stereotype.Component;

/**
 * Shipping over Kafka (every profile but {@code rabbit}): consumes the {@code orders}
 * topic in consumer group {@code shipping}.
 */
@Component
@Profile("!rabbit")
class KafkaShippingListener extends ShippingListener {

	KafkaShippingListener(ShippingService shipping, JsonMapper json) {
		super(shipping, json);
	}

	@KafkaListener(topics = OrderService.DESTINATION, groupId = CONSUMER)
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
