package dev.outbox.relay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Partition ownership of one relay instance. Every heartbeat records the instance as
 * live, computes its fair share ({@code ceil(partitions / live instances)}), renews the
 * leases it holds, releases those beyond its share and acquires free or expired ones up
 * to it. Only the owner of a partition sends its events, so each key is delivered by one
 * instance at a time, in order.
 * <p>
 * Instances' clocks may disagree: every instant written or compared ({@code lease_until},
 * {@code heartbeat_at}, the dead-instance cut-off) is computed by the database's clock in
 * SQL. Locally, a lease counts as valid for the lease duration from
 * {@link System#nanoTime()} read before the statement that wrote it was sent: the
 * database wrote a later end (it ran the statement after it was sent), so this instance
 * stops sending before any other instance can take the partition over, whatever the wall
 * clocks say. The statements are the database's ({@link LeaseStatements}).
 */
final class PartitionLeases {

	private static final Log logger = LogFactory.getLog(PartitionLeases.class);

	private final LeaseStatements statements;

	private final String instanceId;

	private final int partitions;

	private final Duration leaseDuration;

	private final Lock batchLock;

	private final Runnable beforeRelease;

	/**
	 * Owned partitions and the {@link System#nanoTime()} until which their lease is valid
	 * locally.
	 */
	private final Map<Integer, Long> owned = new ConcurrentHashMap<>();

	/** Set once the partitions are released, until {@link #initialize()}. */
	private boolean closed;

	PartitionLeases(LeaseStatements statements, String instanceId, int partitions, Duration leaseDuration,
			Lock batchLock, Runnable beforeRelease) {
		this.statements = statements;
		this.beforeRelease = beforeRelease;
		this.instanceId = instanceId;
		this.partitions = partitions;
		this.leaseDuration = leaseDuration;
		this.batchLock = batchLock;
	}

	/**
	 * Create the lease rows that are missing.
	 */
	synchronized void initialize() {
		this.closed = false;
		this.statements.createLeases(this.partitions);
	}

	/**
	 * Record this instance as live and rebalance its partitions. Does nothing once the
	 * partitions were released by {@link #releaseAll()}.
	 */
	synchronized void heartbeat() {
		if (this.closed) {
			return;
		}
		long leaseMillis = this.leaseDuration.toMillis();
		long leaseNanos = this.leaseDuration.toNanos();
		this.statements.heartbeat(this.instanceId);
		int live = this.statements.liveInstances(leaseMillis);
		int share = (int) Math.ceil((double) this.partitions / Math.max(1, live));
		// Renewing a lease this instance still owns is safe even if it expired: no other
		// instance took it over, or the owner would have changed.
		long renewSentAt = System.nanoTime();
		List<Integer> renewed = this.statements.renew(this.instanceId, leaseMillis, this.partitions);
		this.owned.keySet().retainAll(renewed);
		renewed.forEach((partition) -> this.owned.put(partition, renewSentAt + leaseNanos));
		if (renewed.size() > share) {
			List<Integer> sorted = new ArrayList<>(new TreeSet<>(renewed));
			release(sorted.subList(share, sorted.size()));
		}
		else if (renewed.size() < share) {
			long acquireSentAt = System.nanoTime();
			List<Integer> acquired = this.statements.acquire(this.instanceId, leaseMillis, this.partitions,
					share - renewed.size());
			acquired.forEach((partition) -> this.owned.put(partition, acquireSentAt + leaseNanos));
			if (!acquired.isEmpty() && logger.isDebugEnabled()) {
				logger.debug("Relay " + this.instanceId + " acquired partitions " + acquired);
			}
		}
	}

	/**
	 * Release some partitions, waiting for a batch in flight to finish first, and for its
	 * confirmed events to be marked published ({@code beforeRelease}), so no other
	 * instance sends the same rows concurrently or again.
	 * @param partitionsToRelease the partitions
	 */
	private void release(List<Integer> partitionsToRelease) {
		this.batchLock.lock();
		try {
			this.beforeRelease.run();
			partitionsToRelease.forEach(this.owned::remove);
			this.statements.release(this.instanceId, partitionsToRelease);
			if (logger.isDebugEnabled()) {
				logger.debug("Relay " + this.instanceId + " released partitions " + partitionsToRelease);
			}
		}
		finally {
			this.batchLock.unlock();
		}
	}

	/**
	 * Release every partition and remove this instance; later heartbeats do nothing until
	 * {@link #initialize()}. Call with no batch in flight, and without holding the batch
	 * lock (a heartbeat in progress may need it).
	 */
	synchronized void releaseAll() {
		this.closed = true;
		this.owned.clear();
		this.statements.releaseAll(this.instanceId);
	}

	/**
	 * The partitions whose lease is valid locally at least until the given
	 * {@link System#nanoTime()}.
	 * @param untilNanos the instant, on the monotonic clock
	 * @return the partitions, sorted
	 */
	Set<Integer> ownedUntil(long untilNanos) {
		Set<Integer> result = new TreeSet<>();
		this.owned.forEach((partition, validUntil) -> {
			if (validUntil - untilNanos > 0) {
				result.add(partition);
			}
		});
		return result;
	}

	/**
	 * The partitions whose lease is valid locally now.
	 * @return the partitions, sorted
	 */
	Set<Integer> owned() {
		return Collections.unmodifiableSet(ownedUntil(System.nanoTime()));
	}

}
