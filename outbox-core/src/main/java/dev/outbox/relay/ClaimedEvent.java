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

	String key() {
		return this.message.key();
	}

}
