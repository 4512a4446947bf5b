package dev.outbox.relay;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

import dev.outbox.spi.OutboxRelayListener.ExpiredEvent;
import org.jspecify.annotations.Nullable;

/**
 * The operations of the relay pipeline on the stored events: claim a batch, record its
 * outcome, purge published rows. {@link JdbcRelayStore} implements them on the outbox
 * tables; the unit tests of the delivery rules use an in-memory one.
 * <p>
 * Every operation is a short unit of work of its own: an implementation holds no
 * connection or row lock between calls, so none is held while the relay waits on the
 * broker. Due times and publication times are the store's clock.
 */
interface RelayStore {

	/**
	 * Mark up to {@code limit} pending or parked events of the given partitions that are
	 * past their expiry as expired, then read due pending events of the given partitions
	 * in seq order, skipping expired ones and those behind a blocked (destination, key):
	 * an expired event blocks nothing; a key is blocked from its first event that is
	 * parked, being retried or delayed and not due, and a key whose head is being retried
	 * sends only that head. Tell how long until the next event of the partitions that is
	 * being retried or delayed falls due.
	 * @param partitions the partitions
	 * @param perPartition the most events read from one partition
	 * @param limit the most events returned
	 * @param maxBytes the most payload and header bytes returned (at least one event is
	 * returned if any is due)
	 * @return the events
	 */
	default Fetched fetch(Collection<Integer> partitions, int perPartition, int limit, long maxBytes) {
		return fetch(partitions, perPartition, limit, maxBytes, true);
	}

	/**
	 * As {@link #fetch(Collection, int, int, long)}, marking expired events first only
	 * when asked: the read skips expired events and lets them block nothing either way,
	 * so marking them can wait, and it is a statement of its own.
	 * @param partitions the partitions
	 * @param perPartition the most events read from one partition
	 * @param limit the most events returned, and the most events marked expired
	 * @param maxBytes the most payload and header bytes returned
	 * @param expire whether to mark expired events first
	 * @return the events
	 */
	Fetched fetch(Collection<Integer> partitions, int perPartition, int limit, long maxBytes, boolean expire);

	/**
	 * Delete the given pending events, or mark them published at the store's current
	 * time; events no longer pending are left alone.
	 * @param ids the message ids
	 * @param delete whether to delete them rather than keep them as published
	 * @return the number of events deleted or marked
	 */
	int markPublished(Collection<UUID> ids, boolean delete);

	/**
	 * Record failed delivery attempts: attempts, error, next due time, and parked or
	 * still pending; events no longer pending are left alone.
	 * @param failures the failures
	 */
	void markFailed(List<Failure> failures);

	/**
	 * Delete up to {@code limit} published events older than the retention, and up to
	 * {@code limit} expired events whose expiry is older than the retention, by the
	 * store's clock.
	 * @param retention the retention
	 * @param limit the most events deleted of each kind
	 * @return the larger of the two numbers of events deleted
	 */
	int purge(Duration retention, int limit);

	/**
	 * The events of a fetch.
	 *
	 * @param events the events to send, in seq order
	 * @param read the rows read before the byte bound cut the batch (more than
	 * {@code events.size()} when it did)
	 * @param expired the events marked expired before the fetch
	 * @param moreExpired whether more expired events may be waiting to be marked
	 * @param nextDue how long after the fetch (by the store's clock) the earliest pending
	 * event of the partitions that is being retried or was delayed, and is not due yet,
	 * falls due; {@code null} if there is none
	 */
	record Fetched(List<ClaimedEvent> events, int read, List<ExpiredEvent> expired, boolean moreExpired,
			@Nullable Duration nextDue) {

		/**
		 * A fetch that does not tell when the next event falls due.
		 * @param events the events to send, in seq order
		 * @param read the rows read before the byte bound cut the batch
		 * @param expired the events marked expired before the fetch
		 * @param moreExpired whether more expired events may be waiting to be marked
		 */
		Fetched(List<ClaimedEvent> events, int read, List<ExpiredEvent> expired, boolean moreExpired) {
			this(events, read, expired, moreExpired, null);
		}

		boolean cutByBytes() {
			return this.read > this.events.size();
		}

	}

	/**
	 * The outcome of a failed delivery attempt.
	 *
	 * @param id the message id
	 * @param attempts the failed attempts including this one
	 * @param error the error to record
	 * @param delay the time until the next attempt, from the store's current time
	 * @param parked whether the event is parked
	 */
	record Failure(UUID id, int attempts, String error, Duration delay, boolean parked) {
	}

}
