package dev.outbox.relay;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import dev.outbox.OutboxTables;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;

/**
 * The lease statements on PostgreSQL: {@code clock_timestamp()}, the time each statement
 * runs, and {@code returning}.
 */
final class PostgresLeaseStatements implements LeaseStatements {

	private static final OffsetDateTime NEVER = OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

	/**
	 * Reads a {@code returning partition_no} row (never null: the column is the key).
	 */
	private static final RowMapper<Integer> PARTITION_NO = (rs, row) -> rs.getInt(1);

	private final JdbcTemplate jdbc;

	private final String instances;

	private final String leases;

	PostgresLeaseStatements(DataSource dataSource, OutboxTables tables) {
		this.jdbc = new JdbcTemplate(dataSource);
		this.instances = tables.qualifiedInstanceTable();
		this.leases = tables.qualifiedLeaseTable();
	}

	@Override
	public void createLeases(int partitions) {
		this.jdbc.update(
				"insert into " + this.leases
						+ " (partition_no) select generate_series(0, ?) on conflict (partition_no) do nothing",
				partitions - 1);
	}

	@Override
	public void heartbeat(String instanceId) {
		this.jdbc.update("insert into " + this.instances
				+ " (instance_id, heartbeat_at) values (?, clock_timestamp()) on conflict (instance_id) do update set heartbeat_at = excluded.heartbeat_at",
				instanceId);
	}

	@Override
	public int liveInstances(long leaseMillis) {
		this.jdbc.update("delete from " + this.instances
				+ " where heartbeat_at < clock_timestamp() - ? * interval '1 millisecond'", leaseMillis);
		Integer live = this.jdbc.queryForObject(
				"select count(*) from " + this.instances
						+ " where heartbeat_at >= clock_timestamp() - ? * interval '1 millisecond'",
				Integer.class, leaseMillis);
		return (live != null) ? live : 0;
	}

	@Override
	public List<Integer> renew(String instanceId, long leaseMillis, int partitions) {
		return this.jdbc.query("update " + this.leases
				+ " set lease_until = clock_timestamp() + ? * interval '1 millisecond' where owner = ? and partition_no < ? returning partition_no",
				PARTITION_NO, leaseMillis, instanceId, partitions);
	}

	@Override
	public List<Integer> acquire(String instanceId, long leaseMillis, int partitions, int count) {
		return this.jdbc.query("update " + this.leases
				+ " set owner = ?, lease_until = clock_timestamp() + ? * interval '1 millisecond' where partition_no in (select partition_no from "
				+ this.leases
				+ " where partition_no < ? and (owner is null or lease_until < clock_timestamp()) order by partition_no limit ? for update skip locked) returning partition_no",
				PARTITION_NO, instanceId, leaseMillis, partitions, count);
	}

	@Override
	public void release(String instanceId, List<Integer> partitions) {
		String array = partitions.stream().map(String::valueOf).collect(Collectors.joining(",", "{", "}"));
		this.jdbc.update(
				"update " + this.leases
						+ " set owner = null, lease_until = ? where owner = ? and partition_no = any(?::int[])",
				NEVER, instanceId, array);
	}

	@Override
	public void releaseAll(String instanceId) {
		this.jdbc.update("update " + this.leases + " set owner = null, lease_until = ? where owner = ?", NEVER,
				instanceId);
		this.jdbc.update("delete from " + this.instances + " where instance_id = ?", instanceId);
	}

}
