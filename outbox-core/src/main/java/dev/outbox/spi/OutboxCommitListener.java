package dev.outbox.spi;

/**
 * Told after a transaction that recorded outbox events has committed, once per
 * transaction, on the committing thread. The relay uses it to wake up at once instead of
 * waiting for its next poll. Implementations must return quickly and never throw.
 */
@FunctionalInterface
public interface OutboxCommitListener {

	/**
	 * Called after the commit of a transaction that recorded at least one event.
	 */
	void afterCommit();

}
