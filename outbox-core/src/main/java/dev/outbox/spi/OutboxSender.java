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

}
