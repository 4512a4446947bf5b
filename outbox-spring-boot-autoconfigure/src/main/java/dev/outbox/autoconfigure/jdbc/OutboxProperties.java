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
	 * Largest serialized payload accepted by Outbox.publish; a larger one fails the call
	 * and so the transaction.
	 */
	private DataSize maxPayloadSize = DataSize.ofBytes(JdbcOutbox.DEFAULT_MAX_PAYLOAD_SIZE);

	/**
	 * PostgreSQL channel notified (pg_notify) after the commit of transactions that
	 * recorded events, so relays in other processes wake up within milliseconds. Sent
	 * outside the business transaction, at most once every few milliseconds per
	 * application. Empty to send no notification (other processes' relays then wait for
	 * their poll interval).
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
		 * Name of the Flyway schema history table of the outbox migrations, kept apart
		 * from the application's own.
		 */
		private String historyTable = "outbox_schema_history";

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public String getHistoryTable() {
			return this.historyTable;
		}

		public void setHistoryTable(String historyTable) {
			this.historyTable = historyTable;
		}

	}

}
