package dev.outbox.relay;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import dev.outbox.OutboxTables;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Partition ownership of one relay instance. Every heartbeat records the instance as
 * live, computes its fair share ({@code ceil(partitions / live instances)}), renews the
 * leases it holds, releases those beyond its share and acquires free or expired ones up
 * to it. Only the owner of a partition sends its events, so each key is delivered by one
 * instance at a time, in order.
 */
final class PartitionLeases {

	private static final Log logger = LogFactory.getLog(PartitionLeases.class);

	private static final OffsetDateTime NEVER = OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

	private final JdbcTemplate jdbc;

	private final OutboxTables tables;

	private final String instanceId;

	private final int partitions;

	private final Duration leaseDuration;

	private final Clock clock;

	private final Lock batchLock;

	/** Owned partitions and the end of their lease as last written. */
	private final Map<Integer, Instant> owned = new ConcurrentHashMap<>();

	PartitionLeases(DataSource dataSource, OutboxTables tables, String instanceId, int partitions,
			Duration leaseDuration, Clock clock, Lock batchLock) {
		this.jdbc = new JdbcTemplate(dataSource);
		this.tables = tables;
		this.instanceId = instanceId;
		this.partitions = partitions;
		this.leaseDuration = leaseDuration;
		this.clock = clock;
		this.batchLock = batchLock;
	}

	/**
	 * Create the lease rows that are missing.
	 */
	void initialize() {
		this.jdbc.update(
				"insert into " + this.tables.qualifiedLeaseTable()
						+ " (partition_no) select generate_series(0, ?) on conflict (partition_no) do nothing",
				this.partitions - 1);
	}

	/**
	 * Record this instance as live and rebalance its partitions.
	 */
	void heartbeat() {
		Instant now = this.clock.instant();
		OffsetDateTime nowAt = at(now);
		OffsetDateTime until = at(now.plus(this.leaseDuration));
		OffsetDateTime deadBefore = at(now.minus(this.leaseDuration));
		String instances = this.tables.qualifiedInstanceTable();
		String leases = this.tables.qualifiedLeaseTable();
		this.jdbc.update("insert into " + instances
				+ " (instance_id, heartbeat_at) values (?, ?) on conflict (instance_id) do update set heartbeat_at = excluded.heartbeat_at",
				this.instanceId, nowAt);
		this.jdbc.update("delete from " + instances + " where heartbeat_at < ?", deadBefore);
		Integer live = this.jdbc.queryForObject("select count(*) from " + instances + " where heartbeat_at >= ?",
				Integer.class, deadBefore);
		int share = (int) Math.ceil((double) this.partitions / Math.max(1, (live != null) ? live : 1));
		// Renewing a lease this instance still owns is safe even if it expired: no other
		// instance took it over, or the owner would have changed.
		List<Integer> renewed = this.jdbc.queryForList(
				"update " + leases + " set lease_until = ? where owner = ? and partition_no < ? returning partition_no",
				Integer.class, until, this.instanceId, this.partitions);
		this.owned.keySet().retainAll(renewed);
		Instant untilInstant = until.toInstant();
		renewed.forEach((partition) -> this.owned.put(partition, untilInstant));
		if (renewed.size() > share) {
			List<Integer> sorted = new ArrayList<>(new TreeSet<>(renewed));
			release(sorted.subList(share, sorted.size()));
		}
		else if (renewed.size() < share) {
			List<Integer> acquired = this.jdbc.queryForList("update " + leases
					+ " set owner = ?, lease_until = ? where partition_no in (select partition_no from " + leases
					+ " where partition_no < ? and (owner is null or lease_until < ?) order by partition_no limit ? for update skip locked) returning partition_no",
					Integer.class, this.instanceId, until, this.partitions, nowAt, share - renewed.size());
			acquired.forEach((partition) -> this.owned.put(partition, untilInstant));
			if (!acquired.isEmpty() && logger.isDebugEnabled()) {
				logger.debug("Relay " + this.instanceId + " acquired partitions " + acquired);
			}
		}
	}

	/**
	 * Release some partitions, waiting for a batch in flight to finish first so no other
	 * instance sends the same rows concurrently.
	 * @param partitionsToRelease the partitions
	 */
	private void release(List<Integer> partitionsToRelease) {
		this.batchLock.lock();
		try {
			partitionsToRelease.forEach(this.owned::remove);
			String array = partitionsToRelease.stream().map(String::valueOf).collect(Collectors.joining(",", "{", "}"));
			this.jdbc.update(
					"update " + this.tables.qualifiedLeaseTable()
							+ " set owner = null, lease_until = ? where owner = ? and partition_no = any(?::int[])",
					NEVER, this.instanceId, array);
			if (logger.isDebugEnabled()) {
				logger.debug("Relay " + this.instanceId + " released partitions " + partitionsToRelease);
			}
		}
		finally {
			this.batchLock.unlock();
		}
	}

	/**
	 * Release every partition and remove this instance. Call with no batch in flight.
	 */
	void releaseAll() {
		this.owned.clear();
		this.jdbc.update(
				"update " + this.tables.qualifiedLeaseTable() + " set owner = null, lease_until = ? where owner = ?",
				NEVER, this.instanceId);
		this.jdbc.update("delete from " + this.tables.qualifiedInstanceTable() + " where instance_id = ?",
				this.instanceId);
	}

	/**
	 * The partitions whose lease lasts at least until the given instant.
	 * @param until the instant
	 * @return the partitions, sorted
	 */
	Set<Integer> ownedUntil(Instant until) {
		Set<Integer> result = new TreeSet<>();
		this.owned.forEach((partition, leaseUntil) -> {
			if (leaseUntil.isAfter(until)) {
				result.add(partition);
			}
		});
		return result;
	}

	Set<Integer> owned() {
		return Collections.unmodifiableSet(new TreeSet<>(this.owned.keySet()));
	}

	private static OffsetDateTime at(Instant instant) {
		return instant.atOffset(ZoneOffset.UTC);
	}

}
