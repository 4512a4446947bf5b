package dev.outbox.sample.shipping;

import java.time.Clock;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.stereotype.Service;

/**
 * Ships orders: one shipment per {@code order-placed} event handled.
 */
@Service
public class ShippingService {

	private static final Log logger = LogFactory.getLog(ShippingService.class);

	private final ShipmentRepository shipments;

	private final Clock clock;

	ShippingService(ShipmentRepository shipments, Clock clock) {
		this.shipments = shipments;
		this.clock = clock;
	}

	/**
	 * Create the shipment of an order, in the caller's transaction.
	 * @param event the order's event
	 * @param messageId id of the message that carried it
	 * @return the new shipment
	 */
	public Shipment ship(OrderPlacedEvent event, String messageId) {
		Shipment shipment = this.shipments
			.save(new Shipment(event.orderId(), event.customer(), messageId, this.clock.instant()));
		logger.info("Shipping order " + event.orderId() + " (message " + messageId + ")");
		return shipment;
	}

}
