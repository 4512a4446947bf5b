package dev.outbox.autoconfigure.jdbc;

import java.net.URI;

import dev.outbox.CloudEvents;
import dev.outbox.MessageFormat;
import dev.outbox.OutboxDatabase;
import dev.outbox.OutboxException;
import dev.outbox.OutboxTables;
import dev.outbox.jdbc.JdbcOutbox;
import dev.outbox.spi.Partitions;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.core.env.Environment;
import org.springframework.util.unit.DataSize;

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
	 * Database the outbox runs on: postgresql, mariadb or mysql. By default, read from
	 * the DataSource's connection metadata.
	 */
	private @Nullable OutboxDatabase database;

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
	 * PostgreSQL channel notified (pg_notify) after the commit of transactions that
	 * recorded events, so relays in other processes wake up within milliseconds. Sent
	 * outside the business transaction, at most once every few milliseconds per
	 * application. A lower-case SQL identifier that is not a reserved word. Empty to send
	 * no notification (other processes' relays then wait for their poll interval).
	 * Ignored on MariaDB and MySQL, which have no notifications.
	 */
	private String notifyChannel = JdbcOutbox.DEFAULT_NOTIFY_CHANNEL;

	/**
	 * Format of the messages the relay sends: "outbox" (the outbox headers) or
	 * "cloudevents" (a CloudEvent in binary content mode: ce_* Kafka headers,
	 * cloudEvents_* RabbitMQ headers, plus the outbox headers). CloudEvents on Kafka need
	 * io.cloudevents:cloudevents-kafka on the classpath.
	 */
	private MessageFormat messageFormat = MessageFormat.OUTBOX;

	private final Flyway flyway = new Flyway();

	private final Cloudevents cloudevents = new Cloudevents();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public @Nullable OutboxDatabase getDatabase() {
		return this.database;
	}

	public void setDatabase(@Nullable OutboxDatabase database) {
		this.database = database;
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

	public MessageFormat getMessageFormat() {
		return this.messageFormat;
	}

	public void setMessageFormat(MessageFormat messageFormat) {
		this.messageFormat = messageFormat;
	}

	public Flyway getFlyway() {
		return this.flyway;
	}

	public Cloudevents getCloudevents() {
		return this.cloudevents;
	}

	/**
	 * The CloudEvents source of the messages: {@code outbox.cloudevents.source}, else
	 * {@code urn:outbox:<spring.application.name>}, else {@code /outbox}.
	 * @param properties the outbox properties
	 * @param environment the environment holding {@code spring.application.name}
	 * @return the source
	 * @throws OutboxException if the source set is empty
	 */
	public static URI cloudeventsSource(OutboxProperties properties, Environment environment) {
		URI source = properties.getCloudevents().getSource();
		if (source == null) {
			return CloudEvents.source(environment.getProperty("spring.application.name"));
		}
		if (source.toString().isEmpty()) {
			throw new OutboxException(
					"outbox.cloudevents.source must be a non-empty URI-reference, such as urn:example:orders or /orders: set one, or remove it for the default");
		}
		return source;
	}

	/**
	 * CloudEvents attributes, used with outbox.message-format=cloudevents.
	 */
	public static class Cloudevents {

		/**
		 * CloudEvents "source" attribute of the messages (a URI-reference, such as
		 * "urn:example:orders" or "/orders"). By default "urn:outbox:" followed by
		 * spring.application.name, or "/outbox" if the application has no name.
		 */
		private @Nullable URI source;

		public @Nullable URI getSource() {
			return this.source;
		}

		public void setSource(@Nullable URI source) {
			this.source = source;
		}

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
