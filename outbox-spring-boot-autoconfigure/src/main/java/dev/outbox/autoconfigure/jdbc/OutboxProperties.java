package dev.outbox.autoconfigure.jdbc;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

import dev.outbox.OutboxTables;
import dev.outbox.jdbc.JdbcOutbox;
import dev.outbox.spi.Partitions;

/**
 * Configuration properties of the outbox write path and its tables.
 */
@ConfigurationProperties("outbox")
public class OutboxProperties {

	/**
	 * Whether to enable the outbox auto-configuration.
	 */
	private boolean enabled = true;

	/**
	 * Schema of the outbox tables. By default, the connection's default schema (the first
	 * one of the search path). Created by the Flyway migration if missing.
	 */
	private @Nullable String schema;

	/**
	 * Name of the outbox event table. The relay's tables are named after it (suffixes
	 * "_lease" and "_instance").
	 */
	private String table = OutboxTables.DEFAULT_EVENT_TABLE;

	/**
	 * Name of the idempotent consumer's processed-message table.
	 */
	private String processedTable = OutboxTables.DEFAULT_PROCESSED_TABLE;

	/**
	 * Number of relay partitions the message keys are spread over. Every writer and relay
	 * of one outbox table must use the same value.
	 */
	private int partitions = Partitions.DEFAULT_COUNT;

	/**
	 * Largest event accepted by Outbox.publish: the serialized payload plus the headers'
	 * names and values (UTF-8); a larger one fails the call and so the transaction. Keep
	 * it 64KB under what the broker accepts (the relay's Kafka producer max.request.size,
	 * 1MB by default), room for the key and the relay's own headers.
	 */
	private DataSize maxPayloadSize = DataSize.ofBytes(JdbcOutbox.DEFAULT_MAX_PAYLOAD_SIZE);

	/**
	 * Largest number of headers of an event accepted by Outbox.publish, contributed ones
	 * (trace context) included.
	 */
	private int maxHeaders = JdbcOutbox.DEFAULT_MAX_HEADERS;

	/**
	 * Largest header accepted by Outbox.publish, its name and value (UTF-8) together.
	 */
	private DataSize maxHeaderSize = DataSize.ofBytes(JdbcOutbox.DEFAULT_MAX_HEADER_SIZE);

	/**
	 * PostgreSQL channel notified (pg_notify) on commit of a transaction that recorded
	 * events, so relays in other processes wake up at once; the relays listen on it. A
	 * plain lower-case SQL identifier. Empty to send no notification.
	 */
	private String notifyChannel = JdbcOutbox.DEFAULT_NOTIFY_CHANNEL;

	private final Flyway flyway = new Flyway();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public @Nullable String getSchema() {
		return this.schema;
	}

	public void setSchema(@Nullable String schema) {
		this.schema = schema;
	}

	public String getTable() {
		return this.table;
	}

	public void setTable(String table) {
		this.table = table;
	}

	public String getProcessedTable() {
		return this.processedTable;
	}

	public void setProcessedTable(String processedTable) {
		this.processedTable = processedTable;
	}

	public int getPartitions() {
		return this.partitions;
	}

	public void setPartitions(int partitions) {
		this.partitions = partitions;
	}

	public DataSize getMaxPayloadSize() {
		return this.maxPayloadSize;
	}

	public void setMaxPayloadSize(DataSize maxPayloadSize) {
		this.maxPayloadSize = maxPayloadSize;
	}

	public int getMaxHeaders() {
		return this.maxHeaders;
	}

	public void setMaxHeaders(int maxHeaders) {
		this.maxHeaders = maxHeaders;
	}

	public DataSize getMaxHeaderSize() {
		return this.maxHeaderSize;
	}

	public void setMaxHeaderSize(DataSize maxHeaderSize) {
		this.maxHeaderSize = maxHeaderSize;
	}

	public String getNotifyChannel() {
		return this.notifyChannel;
	}

	public void setNotifyChannel(String notifyChannel) {
		this.notifyChannel = notifyChannel;
	}

	public Flyway getFlyway() {
		return this.flyway;
	}

	/**
	 * Schema migration of the outbox tables.
	 */
	public static class Flyway {

		/**
		 * Whether to create and upgrade the outbox tables with Flyway at start-up. Switch
		 * off to apply the SQL yourself.
		 */
		private boolean enabled = true;

		/**
		 * Name of the Flyway schema history table of the event tables' migrations, kept
		 * apart from the application's own. By default "outbox_schema_history" for the
		 * default outbox.table, "<outbox.table>_schema_history" for any other, so that
		 * several outboxes in one schema each have their own. The processed-message table
		 * has its own history, "<outbox.processed-table>_schema_history".
		 */
		private @Nullable String historyTable;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public @Nullable String getHistoryTable() {
			return this.historyTable;
		}

		public void setHistoryTable(@Nullable String historyTable) {
			this.historyTable = historyTable;
		}

	}

}
