package dev.outbox.sample.shipping;

import java.time.Instant;
import java.util.List;

import org.springframework.data.domain.Sort;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /shipments} shows what the shipping consumer did.
 */
@RestController
class ShipmentController {

	private final ShipmentRepository shipments;

	ShipmentController(ShipmentRepository shipments) {
		this.shipments = shipments;
	}

	@GetMapping("/shipments")
	@Transactional(readOnly = true)
	List<ShipmentView> list() {
		return this.shipments.findAll(Sort.by("id")).stream().map(ShipmentView::of).toList();
	}

	/**
	 * A shipment as the API shows it.
	 *
	 * @param id the shipment id
	 * @param orderId the order shipped
	 * @param customer who receives it
	 * @param messageId id of the message that caused it
	 * @param createdAt when it was created
	 */
	record ShipmentView(long id, long orderId, String customer, String messageId, Instant createdAt) {

		static ShipmentView of(Shipment shipment) {
			return new ShipmentView(shipment.getId(), shipment.getOrderId(), shipment.getCustomer(),
					shipment.getMessageId(), shipment.getCreatedAt());
		}

	}

}
