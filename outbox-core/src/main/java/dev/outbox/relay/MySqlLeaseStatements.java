package dev.outbox.relay;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import javax.sql.DataSource;

import dev.outbox.OutboxTables;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The lease statements on MariaDB and MySQL, which have no {@code update .. returning}: a
 * renewal updates, then reads back the leases it holds, and an acquisition selects the
 * free leases {@code for update skip locked}, then takes them, each in one short
 * {@code read committed} transaction. The clock is {@code utc_timestamp(6)}: it is the
 * start of the statement that writes or compares, which runs after the caller read its
 * monotonic clock, like PostgreSQL's {@code clock_timestamp()} in a statement of its own
 * ({@code sysdate(6)} would be the session's time zone).
 */
final class MySqlLeaseStatements implements LeaseStatements {

	/** "Never leased", as the lease table's default says. */
	private static final LocalDateTime NEVER = LocalDateTime.of(1970, 1, 1, 0, 0);

	private static final String NOW = "utc_timestamp(6)";

	private final JdbcTemplate jdbc;

	private final MySqlTransactions transactions;

	private final String instances;

	private final String leases;

	MySqlLeaseStatements(DataSource dataSource, OutboxTables tables) {
		this.jdbc = new JdbcTemplate(dataSource);
		this.transactions = new MySqlTransactions(dataSource);
		this.instances = tables.qualifiedInstanceTable();
		this.leases = tables.qualifiedLeaseTable();
	}

	@Override
	public void createLeases(int partitions) {
		List<Object> args = new ArrayList<>(partitions);
		for (int partition = 0; partition < partitions; partition++) {
			args.add(partition);
		}
		this.jdbc.update("insert into " + this.leases + " (partition_no) values "
				+ String.join(", ", Collections.nCopies(partitions, "(?)"))
				+ " on duplicate key update partition_no = partition_no", args.toArray());
	}

	@Override
	public void heartbeat(String instanceId) {
		this.jdbc.update("insert into " + this.instances + " (instance_id, heartbeat_at) values (?, " + NOW
				+ ") on duplicate key update heartbeat_at = " + NOW, instanceId);
	}

	@Override
	public int liveInstances(long leaseMillis) {
		this.jdbc.update("delete from " + this.instances + " where heartbeat_at < " + NOW + " - interval ? microsecond",
				leaseMillis * 1000);
		Integer live = this.jdbc.queryForObject("select count(*) from " + this.instances + " where heartbeat_at >= "
				+ NOW + " - interval ? microsecond", Integer.class, leaseMillis * 1000);
		return (live != null) ? live : 0;
	}

	@Override
	public List<Integer> renew(String instanceId, long leaseMillis, int partitions) {
		return this.transactions.run(() -> {
			this.jdbc.update(
					"update " + this.leases + " set lease_until = " + NOW
							+ " + interval ? microsecond where owner = ? and partition_no < ?",
					leaseMillis * 1000, instanceId, partitions);
			// the rows this transaction updated stay locked, so no other instance
			// changed their owner meanwhile
			return this.jdbc.queryForList(
					"select partition_no from " + this.leases + " where owner = ? and partition_no < ?", Integer.class,
					instanceId, partitions);
		});
	}

	@Override
	public List<Integer> acquire(String instanceId, long leaseMillis, int partitions, int count) {
		return this.transactions.run(() -> {
			List<Integer> free = this.jdbc.query(
					"select partition_no from " + this.leases
							+ " where partition_no < ? and (owner is null or lease_until < " + NOW
							+ ") order by partition_no limit ? for update skip locked",
					(rs, row) -> rs.getInt(1), partitions, count);
			if (free.isEmpty()) {
				return free;
			}
			List<Object> args = new ArrayList<>(free.size() + 2);
			args.add(instanceId);
			args.add(leaseMillis * 1000);
			args.addAll(free);
			this.jdbc.update("update " + this.leases + " set owner = ?, lease_until = " + NOW
					+ " + interval ? microsecond where partition_no in (" + MySqlTransactions.placeholders(free.size())
					+ ")", args.toArray());
			return free;
		});
	}

	@Override
	public void release(String instanceId, List<Integer> partitions) {
		List<Object> args = new ArrayList<>(partitions.size() + 2);
		args.add(NEVER);
		args.add(instanceId);
		args.addAll(partitions);
		this.jdbc
			.update("update " + this.leases + " set owner = null, lease_until = ? where owner = ? and partition_no in ("
					+ MySqlTransactions.placeholders(partitions.size()) + ")", args.toArray());
	}

	@Override
	public void releaseAll(String instanceId) {
		this.jdbc.update("update " + this.leases + " set owner = null, lease_until = ? where owner = ?", NEVER,
				instanceId);
		this.jdbc.update("delete from " + this.instances + " where instance_id = ?", instanceId);
	}

}
