package dev.outbox.admin;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * A snapshot of the outbox table.
 *
 * @param pending events waiting to be sent (status {@code PENDING}, delayed and failing
 * ones included)
 * @param failing pending events whose last attempt failed and that will be retried
 * @param parked events that failed for the last allowed time and wait for an operator
 * (status {@code PARKED})
 * @param oldestPendingAge how long the oldest waiting event has been due (since its
 * {@code available_at}; for a failing event, since it was recorded), or {@code null} if
 * no event is due or failing; events delayed into the future do not count
 * @param expired events that reached their expiry unsent and are never sent (status
 * {@code EXPIRED}), until purged
 */
public record OutboxStats(long pending, long failing, long parked, @Nullable Duration oldestPendingAge, long expired) {

	/**
	 * A snapshot without expired events.
	 * @param pending events waiting to be sent
	 * @param failing pending events whose last attempt failed
	 * @param parked parked events
	 * @param oldestPendingAge how long the oldest waiting event has been due, or
	 * {@code null}
	 */
	public OutboxStats(long pending, long failing, long parked, @Nullable Duration oldestPendingAge) {
		this(pending, failing, parked, oldestPendingAge, 0);
	}

	/**
	 * The oldest pending age, or zero if nothing waits.
	 * @return the age, never {@code null}
	 */
	public Duration oldestPendingAgeOrZero() {
		return (this.oldestPendingAge != null) ? this.oldestPendingAge : Duration.ZERO;
	}

}
