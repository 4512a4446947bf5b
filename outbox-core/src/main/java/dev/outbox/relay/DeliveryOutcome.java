package dev.outbox.relay;

import java.time.Instant;
import java.util.List;

/**
 * What became of a batch in {@link OrderedDelivery}; {@link OutcomeRecorder} records it.
 *
 * @param confirmed the events the broker confirmed, to mark published
 * @param confirmedAt when the last confirm was awaited, by the relay's clock
 * @param failed the first failed event of each (destination, key) that failed, with its
 * cause: the only failures to record
 * @param heldBack the later events of a failed (destination, key): not sent, or sent but
 * not to be marked (re-sent later: a duplicate, never a reordering); left pending without
 * an attempt counted
 * @param leftOver the later events of a key left unsent because the send timeout was used
 * up; left pending without an attempt counted, for the next batch
 */
record DeliveryOutcome(List<ClaimedEvent> confirmed, Instant confirmedAt, List<FailedDelivery> failed,
		List<ClaimedEvent> heldBack, List<ClaimedEvent> leftOver) {

	/**
	 * Whether events were left unsent for the next batch, which is then due at once.
	 * @return whether {@link #leftOver()} holds events
	 */
	boolean anyLeftOver() {
		return !this.leftOver.isEmpty();
	}

	/**
	 * A failed delivery.
	 *
	 * @param event the event
	 * @param cause the sender's or broker's failure, or the timeout
	 */
	record FailedDelivery(ClaimedEvent event, Throwable cause) {
	}

}
