package dev.outbox.sample.orders;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.outbox.OutboxEvent;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;
import dev.outbox.spi.PayloadSerializer;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * DEMO ONLY: {@code POST /orders/{id}/redeliver} sends the order's {@code OrderPlaced}
 * message to the broker once more, with the same message id, as a relay does when it
 * crashed after the broker accepted a message but before it marked it published. The
 * shipping consumer must skip it. A real service has no such endpoint.
 * <p>
 * It goes through the same {@link OutboxSender} the relay uses, so the copy carries the
 * same headers and payload as the original.
 */
@RestController
class RedeliveryController {

	private final OrderService orders;

	private final OutboxSender sender;

	private final PayloadSerializer serializer;

	RedeliveryController(OrderService orders, List<OutboxSender> senders, PayloadSerializer serializer,
			@Value("${outbox.relay.broker}") String broker) {
		this.orders = orders;
		this.sender = senders.stream()
			.filter((candidate) -> candidate.name().equals(broker))
			.findFirst()
			.orElseThrow(() -> new IllegalStateException("No outbox sender for broker '" + broker + "'"));
		this.serializer = serializer;
	}

	@PostMapping("/orders/{id}/redeliver")
	ResponseEntity<Redelivered> redeliver(@PathVariable long id)
			throws InterruptedException, ExecutionException, TimeoutException {
		Order order = this.orders.find(id).orElse(null);
		if (order == null || order.getEventId() == null) {
			return ResponseEntity.notFound().build();
		}
		OutboxEvent event = OrderService.orderPlaced(order);
		UUID messageId = order.getEventId();
		OutboxMessage message = new OutboxMessage(messageId, event.destination(), event.routingKey(),
				event.aggregateType(), event.aggregateId(), event.eventType(), event.key(),
				this.serializer.serialize(event.payload()), this.serializer.contentType(), event.headers(),
				order.getPlacedAt());
		this.sender.send(message).get(10, TimeUnit.SECONDS);
		return ResponseEntity.status(HttpStatus.ACCEPTED)
			.body(new Redelivered(messageId, event.destination(), this.sender.name()));
	}

	/**
	 * What was sent again.
	 *
	 * @param messageId the message id, the same as the original's
	 * @param destination the topic or exchange
	 * @param broker the broker it went to
	 */
	record Redelivered(UUID messageId, String destination, String broker) {
	}

}
