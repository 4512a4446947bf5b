package dev.outbox.jdbc;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxTables;

/**
 * The write path on MariaDB and MySQL, which have no advisory locks: before inserting, a
 * write locks the rows of its keys' slots in the {@code
 *
<table>
 * _key_lock} table with {@code insert .. on duplicate key update}, an exclusive row lock
 * that InnoDB holds until the transaction commits or rolls back. Two transactions
 * recording events with the same key (or keys sharing a slot) are thereby serialized, so
 * a key's {@code seq} order is the order in which their transactions committed. Slots are
 * locked in ascending order; row locks do not exhaust a lock table, so there is no
 * exclusive mode. Rows are inserted by one prepared statement, batched for several rows
 * (the drivers keep the batch's order), with their size in bytes for the relay.
 */
final class MySqlEventStatements implements EventStatements {

	/** Slots of the key lock table, created by its migration: {@code 0 .. SLOTS - 1}. */
	static final int SLOTS = 65_536;

	/** Most slots locked by one statement. */
	private static final int LOCKS_PER_STATEMENT = 1000;

	private final String contentType;

	private final String keyLockTable;

	private final String insert;

	MySqlEventStatements(OutboxTables tables, String contentType) {
		this.contentType = contentType;
		this.keyLockTable = tables.qualifiedEventTable() + "_key_lock";
		this.insert = "insert into " + tables.qualifiedEventTable() + " (" + COLUMNS
				+ ", size_bytes) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	}

	@Override
	public int lockKey(String messageKey) {
		return Math.floorMod(messageKey.hashCode(), SLOTS);
	}

	@Override
	public int maxKeyLocksPerTransaction() {
		return Integer.MAX_VALUE;
	}

	@Override
	public boolean notifies() {
		return false;
	}

	@Override
	public void insert(Connection connection, List<EventRow> rows, Instant now, KeyLockPlan plan) throws SQLException {
		lock(connection, new ArrayList<>(plan.newLocks()));
		try (PreparedStatement statement = connection.prepareStatement(this.insert)) {
			if (rows.size() == 1) {
				bind(statement, rows.get(0), now);
				statement.executeUpdate();
				return;
			}
			for (EventRow row : rows) {
				bind(statement, row, now);
				statement.addBatch();
			}
			statement.executeBatch();
		}
	}

	private void lock(Connection connection, List<Integer> slots) throws SQLException {
		for (int from = 0; from < slots.size(); from += LOCKS_PER_STATEMENT) {
			List<Integer> chunk = slots.subList(from, Math.min(slots.size(), from + LOCKS_PER_STATEMENT));
			StringBuilder sql = new StringBuilder("insert into ").append(this.keyLockTable).append(" (slot) values ");
			for (int i = 0; i < chunk.size(); i++) {
				sql.append((i > 0) ? ", (?)" : "(?)");
			}
			sql.append(" on duplicate key update slot = slot");
			try (PreparedStatement statement = connection.prepareStatement(sql.toString())) {
				for (int i = 0; i < chunk.size(); i++) {
					statement.setInt(i + 1, chunk.get(i));
				}
				statement.executeUpdate();
			}
		}
	}

	private void bind(PreparedStatement statement, EventRow row, Instant now) throws SQLException {
		OutboxEvent event = row.event();
		int i = 1;
		statement.setString(i++, row.id().toString());
		statement.setString(i++, event.aggregateType());
		statement.setString(i++, event.aggregateId());
		statement.setString(i++, event.eventType());
		statement.setString(i++, event.destination());
		if (event.routingKey() != null) {
			statement.setString(i++, event.routingKey());
		}
		else {
			statement.setNull(i++, Types.VARCHAR);
		}
		statement.setString(i++, event.key());
		statement.setInt(i++, row.partition());
		statement.setBytes(i++, row.payload());
		statement.setString(i++, this.contentType);
		statement.setString(i++, row.headers());
		statement.setObject(i++, utc(now));
		statement.setObject(i++, utc(row.availableAt()));
		Instant expiresAt = event.expiresAt();
		if (expiresAt != null) {
			statement.setObject(i++, utc(expiresAt));
		}
		else {
			statement.setNull(i++, Types.TIMESTAMP);
		}
		// what the relay's byte bound counts, so that it never reads a payload to measure
		// it (migration V4); length() of the columns gives the same
		statement.setLong(i, (long) row.payload().length + row.headers().getBytes(StandardCharsets.UTF_8).length);
	}

	/**
	 * The columns are {@code datetime(6)} in UTC: no time zone conversion by the driver.
	 */
	private static LocalDateTime utc(Instant instant) {
		return LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
	}

}
