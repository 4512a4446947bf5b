package dev.outbox.sample.shipping;

import dev.outbox.OutboxHeaders;
import dev.outbox.consumer.IdempotentListener;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the shipping listeners do with a message, whatever the broker: decode an
 * {@code order-placed} event and ship the order. The broker-specific listeners
 * ({@link KafkaShippingListener}, {@link RabbitShippingListener}) are annotated with
 * {@link IdempotentListener @IdempotentListener("shipping")}: the message id (header
 * {@value OutboxHeaders#MESSAGE_ID}) is recorded in the same transaction as the shipment,
 * and a message whose id was already recorded is skipped.
 */
abstract class ShippingListener {

	/** The consumer name the idempotent listener records message ids under. */
	static final String CONSUMER = "shipping";

	private final ShippingService shipping;

	private final JsonMapper json;

	ShippingListener(ShippingService shipping, JsonMapper json) {
		this.shipping = shipping;
		this.json = json;
	}

	void handle(byte[] payload, String messageId, String eventType) {
		if (OrderPlacedEvent.TYPE.equals(eventType)) {
			this.shipping.ship(this.json.readValue(payload, OrderPlacedEvent.class), messageId);
		}
	}

}
