package dev.outbox.consumer;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import dev.outbox.OutboxDatabase;
import dev.outbox.OutboxException;
import dev.outbox.OutboxTables;
import dev.outbox.SqlIdentifiers;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The processed-message table on one database: records (consumer, message id) in the
 * caller's transaction without failing it on a duplicate, and purges old records.
 */
interface ProcessedMessageStore {

	/**
	 * Record one id; a concurrent transaction recording the same id is waited for.
	 * @param consumer the consumer
	 * @param messageId the id
	 * @param now the time of processing
	 * @return whether it was recorded now, {@code false} if it was recorded before
	 */
	boolean record(String consumer, String messageId, Instant now);

	/**
	 * Record several ids, in the given order.
	 * @param consumer the consumer
	 * @param messageIds distinct ids, sorted (so that two batches sharing ids lock them
	 * in the same order)
	 * @param now the time of processing
	 * @return the ids recorded now
	 */
	Set<String> recordAll(String consumer, List<String> messageIds, Instant now);

	/**
	 * Whether an id is recorded (committed).
	 * @param consumer the consumer
	 * @param messageId the id
	 * @return whether it is recorded
	 */
	boolean isProcessed(String consumer, String messageId);

	/**
	 * Delete at most {@code limit} records processed before {@code cutoff}.
	 * @param cutoff the cut-off
	 * @param limit the most rows to delete
	 * @return the number of rows deleted
	 */
	int purge(Instant cutoff, int limit);

	/**
	 * The store of a database, with the table name checked by its identifier rule.
	 * @param database the database
	 * @param jdbc the template over the consumer's data source
	 * @param tables the tables
	 * @return the store
	 * @throws OutboxException if the table's name is reserved on that database
	 */
	static ProcessedMessageStore of(OutboxDatabase database, JdbcTemplate jdbc, OutboxTables tables) {
		String problem = SqlIdentifiers.invalidReason(tables.processedTable(), "outbox.processed-table",
				OutboxTables.DEFAULT_PROCESSED_TABLE, database);
		if (problem != null) {
			throw new OutboxException(
					"The processed-message table cannot be used on " + database.displayName() + ": " + problem);
		}
		return database.isMySqlFamily() ? new MySqlProcessedMessageStore(jdbc, tables.qualifiedProcessedTable())
				: new PostgresProcessedMessageStore(jdbc, tables.qualifiedProcessedTable());
	}

}
