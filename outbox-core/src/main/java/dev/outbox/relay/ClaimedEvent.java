package dev.outbox.relay;

import dev.outbox.spi.OutboxMessage;

/**
 * A pending event read by the relay, with what the relay needs besides the message.
 *
 * @param message the message to send
 * @param seq the insertion order
 * @param partition the relay partition
 * @param attempts the failed attempts so far
 */
record ClaimedEvent(OutboxMessage message, long seq, int partition, int attempts) {

	/**
	 * The unit of order and blocking: events of one key to one destination are sent in
	 * seq order, and a failure holds back only the later events of the same destination
	 * and key.
	 */
	OrderKey orderKey() {
		return new OrderKey(this.message.destination(), this.message.key());
	}

	record OrderKey(String destination, String key) {
	}

}
