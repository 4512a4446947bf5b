package dev.outbox.relay;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;

import dev.outbox.spi.OutboxRelayListener.ExpiredEvent;

/**
 * The claim stage of the relay pipeline: the partitions a batch may be sent for, and the
 * due events read from them.
 * <p>
 * A partition is sendable when this instance's lease on it outlives the send timeout with
 * a margin, on the monotonic clock, so a batch completes while its partitions are owned.
 * Each sendable partition is read for a fair share of the batch (twice that, for skew);
 * the store skips the events behind a blocked key.
 * <p>
 * Expired events are marked at each claim of {@link #claim(Set)}, and at most once per
 * poll interval in the claims of the relay thread ({@link #claimForLoop(Set)}), at once
 * again while more wait: the read skips them and lets them block nothing either way, and
 * a batch woken by a commit should not pay for a second statement.
 * <p>
 * A claim also tells when the next retried or delayed event of its partitions falls due,
 * as the store read it, on the monotonic clock read after the fetch returned: the store's
 * clock read no later than that, so the relay does not wake before the event is due.
 */
final class BatchClaimer {

	private final RelayStore store;

	private final LongFunction<Set<Integer>> ownedUntilNanos;

	private final int batchSize;

	private final long batchMaxBytes;

	private final Duration sendWindow;

	private final long expireIntervalNanos;

	private final LongSupplier nanoTime;

	/** When the claims last marked expired events ({@link #nanoTime}). */
	private long lastExpiredNanos;

	/** Whether the last marking may have left expired events; at first, whether any. */
	private boolean moreExpired = true;

	/**
	 * Whether the last short batch filled a partition's share: the next fetch lets each
	 * partition fill the whole batch (a hot key sits in one partition). Claims run under
	 * the relay's batch lock.
	 */
	private boolean skewed;

	/**
	 * Create a claimer on the monotonic clock ({@link System#nanoTime()}).
	 * @param store the store to read from
	 * @param ownedUntilNanos the partitions whose lease outlives a
	 * {@link System#nanoTime()} reading
	 * @param settings the relay settings
	 */
	BatchClaimer(RelayStore store, LongFunction<Set<Integer>> ownedUntilNanos, RelaySettings settings) {
		this(store, ownedUntilNanos, settings, System::nanoTime);
	}

	/**
	 * Create a claimer.
	 * @param store the store to read from
	 * @param ownedUntilNanos the partitions whose lease outlives a reading of
	 * {@code nanoTime}
	 * @param settings the relay settings
	 * @param nanoTime the monotonic clock
	 */
	BatchClaimer(RelayStore store, LongFunction<Set<Integer>> ownedUntilNanos, RelaySettings settings,
			LongSupplier nanoTime) {
		this.store = store;
		this.nanoTime = nanoTime;
		this.ownedUntilNanos = ownedUntilNanos;
		this.batchSize = settings.batchSize;
		this.batchMaxBytes = settings.batchMaxBytes;
		this.sendWindow = settings.sendTimeout.plus(settings.leaseMargin());
		this.expireIntervalNanos = settings.pollInterval.toNanos();
	}

	/**
	 * The partitions a batch may be sent for now.
	 * @return the partitions
	 */
	Set<Integer> sendablePartitions() {
		return this.ownedUntilNanos.apply(this.nanoTime.getAsLong() + this.sendWindow.toNanos());
	}

	/**
	 * Read the next batch of due events of the sendable partitions.
	 * @return the batch, empty when no partition is sendable or no event is due
	 */
	Claim claim() {
		return claim(Set.of());
	}

	/**
	 * Read the next batch of due events of the sendable partitions, leaving out the given
	 * events (confirmed, not yet marked published).
	 * @param unrecorded the events to leave out
	 * @return the batch, empty when no partition is sendable or no event is due
	 */
	Claim claim(Set<UUID> unrecorded) {
		return claim(unrecorded, true);
	}

	/**
	 * As {@link #claim(Set)}, marking expired events first only once per poll interval,
	 * or when the last marking may have left some.
	 * @param unrecorded the events to leave out
	 * @return the batch, empty when no partition is sendable or no event is due
	 */
	Claim claimForLoop(Set<UUID> unrecorded) {
		long now = this.nanoTime.getAsLong();
		return claim(unrecorded, this.moreExpired || now - this.lastExpiredNanos >= this.expireIntervalNanos);
	}

	private Claim claim(Set<UUID> unrecorded, boolean expire) {
		Set<Integer> partitions = sendablePartitions();
		if (partitions.isEmpty()) {
			return new Claim(List.of(), false, List.of(), false, RelayPass.NOTHING_DUE);
		}
		// each partition's fair share of the batch (twice, for skew), or up to the whole
		// batch while the work sits in few partitions (a hot key)
		int perPartition = this.skewed ? this.batchSize
				: Math.max(8, 2 * ((this.batchSize + partitions.size() - 1) / partitions.size()));
		RelayStore.Fetched fetched = this.store.fetch(partitions, perPartition, this.batchSize, this.batchMaxBytes,
				expire);
		// read after the fetch: the store's clock was no later than this then, so the
		// relay never wakes before the event is due by the store's clock
		long fetchedAt = this.nanoTime.getAsLong();
		if (expire) {
			this.lastExpiredNanos = fetchedAt;
			this.moreExpired = fetched.moreExpired();
		}
		Duration untilNextDue = fetched.nextDue();
		long nextDue = (untilNextDue != null) ? fetchedAt + untilNextDue.toNanos() : RelayPass.NOTHING_DUE;
		List<ClaimedEvent> batch = fetched.events();
		if (!unrecorded.isEmpty()) {
			List<ClaimedEvent> fresh = batch.stream()
				.filter((event) -> !unrecorded.contains(event.message().id()))
				.toList();
			if (fresh.size() < batch.size()) {
				// read again once they are marked, unless other events are due now
				Claim claim = claimOf(fetched, perPartition, nextDue);
				return new Claim(fresh, claim.moreWaiting(), claim.expired(), fresh.isEmpty(), nextDue);
			}
		}
		return claimOf(fetched, perPartition, nextDue);
	}

	private Claim claimOf(RelayStore.Fetched fetched, int perPartition, long nextDue) {
		List<ClaimedEvent> batch = fetched.events();
		if (batch.isEmpty()) {
			return new Claim(batch, fetched.moreExpired(), fetched.expired(), false, nextDue);
		}
		if (batch.size() >= this.batchSize || fetched.cutByBytes() || fetched.moreExpired()) {
			return new Claim(batch, true, fetched.expired(), false, nextDue);
		}
		// a partition that filled its share may hold more
		Map<Integer, Integer> perPartitionCounts = new HashMap<>();
		batch.forEach((event) -> perPartitionCounts.merge(event.partition(), 1, Integer::sum));
		this.skewed = perPartitionCounts.values().stream().anyMatch((count) -> count >= perPartition);
		return new Claim(batch, this.skewed, fetched.expired(), false, nextDue);
	}

	/**
	 * A claimed batch.
	 *
	 * @param events the events to send, in seq order
	 * @param moreWaiting whether more events may be due than the batch holds (it is full,
	 * cut by the byte bound, a partition filled its share, or more expired events wait to
	 * be marked)
	 * @param expired the events the store marked expired before reading the batch
	 * @param onlyUnrecorded whether every event read was left out as confirmed and not
	 * yet marked published
	 * @param nextDue when the next event of the partitions that is being retried or was
	 * delayed falls due ({@link #nanoTime}), or {@link RelayPass#NOTHING_DUE}
	 */
	record Claim(List<ClaimedEvent> events, boolean moreWaiting, List<ExpiredEvent> expired, boolean onlyUnrecorded,
			long nextDue) {
	}

}
