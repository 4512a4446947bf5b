package dev.outbox.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxTables;
import org.jspecify.annotations.Nullable;

/**
 * The write path on PostgreSQL: each statement takes a transaction-scoped advisory lock
 * on a hash of each message key, and the shared lock of the table's writers, before it
 * inserts (in the same statement). A transaction past
 * {@link #MAX_KEY_LOCKS_PER_TRANSACTION} keys in its first write takes the writers lock
 * exclusively instead of any key lock, so PostgreSQL's lock table
 * ({@code max_locks_per_transaction}) cannot run out. Several rows are inserted by one
 * statement over arrays.
 */
final class PostgresEventStatements implements EventStatements {

	/**
	 * Most distinct message keys the first write of a transaction locks one by one; past
	 * it, the transaction locks out the other writers of the table instead (PostgreSQL's
	 * lock table is sized by {@code max_locks_per_transaction}, 64 by default).
	 */
	static final int MAX_KEY_LOCKS_PER_TRANSACTION = 32;

	private static final long WRITERS_LOCK_PREFIX = 0x6F75_7462_0000_0000L;

	private final String contentType;

	private final int lockClass;

	private final long writersLock;

	/** Indexed by [exclusive ? 1 : 0]. */
	private final String[] insertOne = new String[2];

	/** Indexed by [exclusive ? 1 : 0]. */
	private final String[] insertMany = new String[2];

	PostgresEventStatements(OutboxTables tables, String contentType) {
		this.contentType = contentType;
		this.lockClass = ("outbox:" + tables.qualifiedEventTable()).hashCode();
		// a single-bigint advisory lock never conflicts with the two-int key locks
		this.writersLock = WRITERS_LOCK_PREFIX | (this.lockClass & 0xFFFF_FFFFL);
		for (int exclusive = 0; exclusive < 2; exclusive++) {
			this.insertOne[exclusive] = insertOneSql(tables, exclusive == 1);
			this.insertMany[exclusive] = insertManySql(tables, exclusive == 1);
		}
	}

	@Override
	public int lockKey(String messageKey) {
		return messageKey.hashCode();
	}

	@Override
	public int maxKeyLocksPerTransaction() {
		return MAX_KEY_LOCKS_PER_TRANSACTION;
	}

	@Override
	public boolean notifies() {
		return true;
	}

	@Override
	public void insert(Connection connection, List<EventRow> rows, Instant now, KeyLockPlan plan) throws SQLException {
		if (rows.size() == 1) {
			insertOne(connection, rows.get(0), now, plan.exclusive());
		}
		else {
			insertMany(connection, rows, now, plan);
		}
	}

	private void insertOne(Connection connection, EventRow row, Instant now, boolean exclusive) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(this.insertOne[exclusive ? 1 : 0])) {
			int i = 1;
			statement.setLong(i++, this.writersLock);
			if (!exclusive) {
				statement.setInt(i++, this.lockClass);
				statement.setInt(i++, lockKey(row.event().key()));
			}
			OutboxEvent event = row.event();
			statement.setObject(i++, row.id());
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
			statement.setObject(i++, timestamp(now));
			statement.setObject(i++, timestamp(row.availableAt()));
			statement.setObject(i++, (event.expiresAt() != null) ? timestamp(event.expiresAt()) : null,
					Types.TIMESTAMP_WITH_TIMEZONE);
			statement.executeUpdate();
		}
	}

	private void insertMany(Connection connection, List<EventRow> rows, Instant now, KeyLockPlan plan)
			throws SQLException {
		int size = rows.size();
		UUID[] ids = new UUID[size];
		String[] aggregateTypes = new String[size];
		String[] aggregateIds = new String[size];
		String[] eventTypes = new String[size];
		String[] destinations = new String[size];
		@Nullable String[] routingKeys = new String[size];
		String[] keys = new String[size];
		Integer[] partitionNumbers = new Integer[size];
		byte[][] payloads = new byte[size][];
		String[] headers = new String[size];
		String[] availableAts = new String[size];
		@Nullable String[] expiresAts = new String[size];
		for (int r = 0; r < size; r++) {
			EventRow row = rows.get(r);
			OutboxEvent event = row.event();
			ids[r] = row.id();
			aggregateTypes[r] = event.aggregateType();
			aggregateIds[r] = event.aggregateId();
			eventTypes[r] = event.eventType();
			destinations[r] = event.destination();
			routingKeys[r] = event.routingKey();
			keys[r] = event.key();
			partitionNumbers[r] = row.partition();
			payloads[r] = row.payload();
			headers[r] = row.headers();
			availableAts[r] = row.availableAt().toString();
			Instant expiresAt = event.expiresAt();
			expiresAts[r] = (expiresAt != null) ? expiresAt.toString() : null;
		}
		boolean exclusive = plan.exclusive();
		try (PreparedStatement statement = connection.prepareStatement(this.insertMany[exclusive ? 1 : 0])) {
			int i = 1;
			statement.setLong(i++, this.writersLock);
			if (!exclusive) {
				statement.setInt(i++, this.lockClass);
				statement.setArray(i++, connection.createArrayOf("int4", plan.newLocks().toArray(Integer[]::new)));
			}
			statement.setString(i++, this.contentType);
			statement.setObject(i++, timestamp(now));
			statement.setArray(i++, connection.createArrayOf("uuid", ids));
			statement.setArray(i++, connection.createArrayOf("text", aggregateTypes));
			statement.setArray(i++, connection.createArrayOf("text", aggregateIds));
			statement.setArray(i++, connection.createArrayOf("text", eventTypes));
			statement.setArray(i++, connection.createArrayOf("text", destinations));
			statement.setArray(i++, connection.createArrayOf("text", routingKeys));
			statement.setArray(i++, connection.createArrayOf("text", keys));
			statement.setArray(i++, connection.createArrayOf("int4", partitionNumbers));
			statement.setArray(i++, connection.createArrayOf("bytea", payloads));
			statement.setArray(i++, connection.createArrayOf("text", headers));
			statement.setArray(i++, connection.createArrayOf("text", availableAts));
			statement.setArray(i++, connection.createArrayOf("text", expiresAts));
			statement.executeUpdate();
		}
	}

	/**
	 * The locks taken before inserting: the table's writers lock, shared (or exclusive
	 * for a transaction past {@link #MAX_KEY_LOCKS_PER_TRANSACTION} keys), then the keys'
	 * locks ({@code keyLocks}, absent when exclusive). Volatile CTEs are evaluated once
	 * each.
	 */
	private static String locks(boolean exclusive, String keyLocks) {
		return "with outbox_writers as (select "
				+ (exclusive ? "pg_advisory_xact_lock" : "pg_advisory_xact_lock_shared") + "(cast(? as bigint)))"
				+ (exclusive ? "" : ", outbox_lock as (" + keyLocks + ")");
	}

	private static String lockTables(boolean exclusive) {
		return "outbox_writers" + (exclusive ? "" : ", outbox_lock");
	}

	private static String insertOneSql(OutboxTables tables, boolean exclusive) {
		return locks(exclusive, "select pg_advisory_xact_lock(?, ?)") + " insert into " + tables.qualifiedEventTable()
				+ " (" + COLUMNS + ")" + " select ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, cast(? as jsonb), ?, ?, ? from "
				+ lockTables(exclusive);
	}

	private static String insertManySql(OutboxTables tables, boolean exclusive) {
		// the key locks are taken in array order (ascending) by the aggregate, which must
		// finish before the first row can be joined and inserted; rows are inserted in
		// list order
		return locks(exclusive, "select count(pg_advisory_xact_lock(?, k)) as n from unnest(cast(? as int4[])) as k")
				+ " insert into " + tables.qualifiedEventTable() + " (" + COLUMNS + ")"
				+ " select e.id, e.aggregate_type, e.aggregate_id, e.event_type, e.destination, e.routing_key,"
				+ " e.message_key, e.partition_no, e.payload, ?, cast(e.headers as jsonb), ?,"
				+ " cast(e.available_at as timestamptz), cast(e.expires_at as timestamptz) from "
				+ lockTables(exclusive)
				+ ", unnest(cast(? as uuid[]), cast(? as text[]), cast(? as text[]), cast(? as text[]),"
				+ " cast(? as text[]), cast(? as text[]), cast(? as text[]), cast(? as int4[]), cast(? as bytea[]),"
				+ " cast(? as text[]), cast(? as text[]), cast(? as text[])) with ordinality as e(id, aggregate_type,"
				+ " aggregate_id, event_type, destination, routing_key, message_key, partition_no, payload, headers,"
				+ " available_at, expires_at, ord) order by e.ord";
	}

	private static OffsetDateTime timestamp(Instant instant) {
		return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
	}

}
