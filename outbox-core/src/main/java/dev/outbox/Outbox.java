package dev.outbox;

import java.util.List;
import java.util.UUID;

/**
 * Records events in the outbox table of the current transaction.
 * <p>
 * The row is written over the same connection as the business changes, so it commits or
 * rolls back with them; a relay delivers it to the broker after the commit. Calling
 * without an active transaction fails at once with an {@link OutboxException}: the outbox
 * never writes outside one.
 *
 * <pre class="code">
 * &#064;Transactional
 * public Order place(NewOrder command) {
 *     Order order = orders.save(Order.from(command));
 *     outbox.publish(OutboxEvent.of("orders", order.getId(), new OrderPlaced(order.getId(), order.getTotal())));
 *     return order;
 * }
 * </pre>
 */
public interface Outbox {

	/**
	 * Record one event in the current transaction.
	 * @param event the event
	 * @return the message id assigned to the event
	 * @throws IllegalArgumentException if the event is {@code null}
	 * @throws OutboxException if no transaction is active, or the payload cannot be
	 * serialized, or the event (payload and headers) is over the configured limits
	 */
	UUID publish(OutboxEvent event);

	/**
	 * Record several events in the current transaction, in one round trip where possible.
	 * Their order is kept per message key.
	 * @param events the events
	 * @return the message ids, in the order of {@code events}
	 * @throws IllegalArgumentException if the list is or contains {@code null}
	 * @throws OutboxException if no transaction is active, or a payload cannot be
	 * serialized, or an event is over the configured limits (then none is recorded)
	 */
	List<UUID> publishAll(List<OutboxEvent> events);

}
