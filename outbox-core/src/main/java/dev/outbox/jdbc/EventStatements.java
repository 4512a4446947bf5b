package dev.outbox.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

import dev.outbox.OutboxDatabase;
import dev.outbox.OutboxException;
import dev.outbox.OutboxTables;
import dev.outbox.SqlIdentifiers;

/**
 * The SQL of the write path on one database: how a message key maps to a lock, how many
 * key locks a transaction may take one by one, and the statement(s) that lock and insert.
 */
interface EventStatements {

	/** Columns written by the outbox, in the order the statements bind them. */
	String COLUMNS = "id, aggregate_type, aggregate_id, event_type, destination, routing_key, "
			+ "message_key, partition_no, payload, content_type, headers, created_at, available_at, expires_at";

	/**
	 * The lock of a message key: keys with the same lock are serialized.
	 * @param messageKey the key
	 * @return the lock
	 */
	int lockKey(String messageKey);

	/**
	 * Most distinct key locks the first write of a transaction takes one by one; past it,
	 * the write locks out the other writers of the table instead.
	 * @return the limit
	 */
	int maxKeyLocksPerTransaction();

	/**
	 * Whether relays in other processes can be woken by a notification after commits.
	 * @return whether the database notifies
	 */
	boolean notifies();

	/**
	 * Take the plan's locks, then insert the rows in list order, in the transaction of
	 * the connection.
	 * @param connection the transaction's connection
	 * @param rows the rows
	 * @param now the creation time
	 * @param plan the locks to take
	 * @throws SQLException if a statement fails
	 */
	void insert(Connection connection, List<EventRow> rows, Instant now, KeyLockPlan plan) throws SQLException;

	/**
	 * The statements of a database, with the table names checked by its identifier rule.
	 * @param database the database
	 * @param tables the tables
	 * @param contentType the payloads' content type
	 * @return the statements
	 * @throws OutboxException if a table name is reserved on that database
	 */
	static EventStatements of(OutboxDatabase database, OutboxTables tables, String contentType) {
		String schema = tables.schema();
		String problem = SqlIdentifiers.invalidReason(tables.eventTable(), "outbox.table", "outbox_event", database);
		if (problem == null && schema != null) {
			problem = SqlIdentifiers.invalidReason(schema, "outbox.schema", "outbox", database);
		}
		if (problem != null) {
			throw new OutboxException("The outbox tables cannot be used on " + database.displayName() + ": " + problem);
		}
		return database.isMySqlFamily() ? new MySqlEventStatements(tables, contentType)
				: new PostgresEventStatements(tables, contentType);
	}

}
