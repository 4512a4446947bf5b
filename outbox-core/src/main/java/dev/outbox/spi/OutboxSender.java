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
	 * Whether this sender keeps the order of a key's messages while they are in flight:
	 * for messages of one key passed in order in one {@link #sendAll(List)} call, a
	 * message that fails makes every later message of that key that was already handed
	 * over fail too (never confirmed).
	 * <p>
	 * When {@code true}, the relay hands all the events of a batch for this sender to one
	 * {@code sendAll} call, in batch order, and awaits the confirms in order: a key with
	 * a long backlog drains at the broker's pace, not one confirm round trip per event.
	 * When {@code false} (the default), the relay sends a key's next event only once the
	 * one before it is confirmed.
	 * <p>
	 * With {@code true}, the relay publishes each key's confirmed prefix, fails the key's
	 * first unconfirmed event (an attempt counted, unless it failed with a
	 * {@link NotAttemptedException}) and fails every later event of that key without an
	 * attempt counted, even if it was confirmed: it is sent again, in order, after the
	 * failed one (a duplicate, never a reordering).
	 * @return whether a failed message fails every later message of its key already
	 * handed over in the same call
	 */
	default boolean keepsKeyOrderInFlight() {
		return false;
	}

}
