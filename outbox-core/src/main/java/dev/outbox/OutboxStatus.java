package dev.outbox;

/**
 * The status of a row of the outbox event table: the one home of the status names the
 * store, the relay, {@code OutboxAdmin}, the actuator endpoint and the metrics use.
 * <p>
 * A <em>failing</em> event is not a status of its own: it is {@link #PENDING} with at
 * least one failed attempt, retried after its backoff (listed by {@code OutboxAdmin} as
 * {@code FailedEvent.State.FAILING}).
 */
public enum OutboxStatus {

	/**
	 * Waiting to be sent: new, delayed, or failing (failed attempts, retried after a
	 * backoff).
	 */
	PENDING,

	/**
	 * Confirmed by the broker and kept for the configured retention; deleted when
	 * confirmed if the retention is zero.
	 */
	PUBLISHED,

	/**
	 * Failed for the last allowed time: not retried, and holding back the later events of
	 * its key, until an operator replays or discards it.
	 */
	PARKED,

	/**
	 * Not sent by its expiry ({@code OutboxEvent.Builder#expiresAt}): never sent, blocks
	 * no later event of its key, and purged like published rows.
	 */
	EXPIRED

}
