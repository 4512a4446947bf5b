package dev.outbox.spi;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Delivers outbox messages to a broker. A future completes normally only once the broker
 * has positively acknowledged the message (Kafka {@code acks=all}, RabbitMQ publisher
 * confirm and no return); any other outcome completes it exceptionally.
 */
public interface OutboxSender {

	/**
	 * The name destinations refer to in configuration, for example {@code kafka} or
	 * {@code rabbit}.
	 * @return the transport name
	 */
	String name();

	/**
	 * Start sending one message.
	 * @param message the message
	 * @return a future completed when the broker confirmed the message
	 */
	CompletableFuture<Void> send(OutboxMessage message);

	/**
	 * Start sending a batch; the default sends one by one. Implementations may flush once
	 * for the whole batch. Messages with the same key are sent in list order.
	 * @param messages the messages
	 * @return one future per message, in the same order
	 */
	default List<CompletableFuture<Void>> sendAll(List<OutboxMessage> messages) {
		return messages.stream().map(this::send).toList();
	}

	/**
	 * Whether several events of one key may be in flight at once: when {@code true}, the
	 * relay hands all events of a batch to {@link #sendAll(List)} at once, in batch
	 * order, instead of sending the next event of a key only after the one before it was
	 * confirmed. A sender returns {@code true} only if it guarantees that, when a message
	 * fails, no later message of the same key (and destination) in the same call or a
	 * later one is written to the broker before it: the relay then publishes each key's
	 * confirmed prefix, fails the key's first unconfirmed event (an attempt counted,
	 * unless it failed with a {@link NotAttemptedException}) and fails every later event
	 * of that key without an attempt counted, even if it was confirmed (it is sent again,
	 * in order, after the failed one). The default is {@code false}.
	 * @return whether later events of a key may be sent before earlier ones are confirmed
	 */
	default boolean keepsKeyOrderInFlight() {
		return false;
	}

}
