package dev.outbox.autoconfigure.jdbc;

import java.time.Clock;

import javax.sql.DataSource;

import dev.outbox.Outbox;
import dev.outbox.OutboxTables;
import dev.outbox.SqlIdentifiers;
import dev.outbox.jdbc.JdbcOutbox;
import dev.outbox.json.JacksonPayloadSerializer;
import dev.outbox.spi.OutboxCommitListener;
import dev.outbox.spi.OutboxHeaderContributor;
import dev.outbox.spi.PayloadSerializer;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.lang.Contract;
import org.springframework.util.unit.DataSize;

/**
 * Auto-configuration of the outbox write path: the {@link OutboxTables} (validated
 * {@code outbox.*} names), the tables themselves (Flyway with its own history table,
 * unless {@code outbox.flyway.enabled=false}), the {@link PayloadSerializer} (JSON with
 * the application's {@link JsonMapper}) and the {@link JdbcOutbox}. Each bean backs off
 * when the application defines its own.
 */
@AutoConfiguration(
		after = { DataSourceAutoConfiguration.class, DataSourceTransactionManagerAutoConfiguration.class,
				TransactionAutoConfiguration.class },
		afterName = { "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration",
				"org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration",
				"org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration" })
@ConditionalOnClass(JdbcOutbox.class)
@ConditionalOnSingleCandidate(DataSource.class)
@ConditionalOnBooleanProperty(name = "outbox.enabled", matchIfMissing = true)
@EnableConfigurationProperties(OutboxProperties.class)
@Import(DatabaseInitializationDependencyConfigurer.class)
public final class OutboxJdbcAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	OutboxTables outboxTables(OutboxProperties properties) {
		String schema = properties.getSchema();
		if (schema != null && schema.isBlank()) {
			schema = null;
		}
		return new OutboxTables(identifier("outbox.schema", schema, "outbox"),
				identifier("outbox.table", properties.getTable(), OutboxTables.DEFAULT_EVENT_TABLE),
				identifier("outbox.processed-table", properties.getProcessedTable(),
						OutboxTables.DEFAULT_PROCESSED_TABLE));
	}

	@Bean
	@ConditionalOnMissingBean(PayloadSerializer.class)
	JacksonPayloadSerializer outboxPayloadSerializer(ObjectProvider<JsonMapper> jsonMapper) {
		JsonMapper mapper = jsonMapper.getIfUnique();
		return (mapper != null) ? new JacksonPayloadSerializer(mapper) : new JacksonPayloadSerializer();
	}

	@Bean
	@ConditionalOnMissingBean(Outbox.class)
	JdbcOutbox outbox(DataSource dataSource, OutboxTables tables, PayloadSerializer serializer,
			OutboxProperties properties, ObjectProvider<OutboxCommitListener> commitListeners,
			ObjectProvider<OutboxSchemaInitializer> schemaInitializer,
			ObjectProvider<OutboxHeaderContributor> headerContributors, ObjectProvider<Clock> clock) {
		// the tables exist before anyone can publish
		schemaInitializer.ifAvailable((initializer) -> {
		});
		return JdbcOutbox.builder(dataSource)
			.tables(tables)
			.serializer(serializer)
			.maxPayloadSize(bytes("outbox.max-payload-size", properties.getMaxPayloadSize(), "960KB"))
			.maxHeaders(maxHeaders(properties))
			.maxHeaderSize(bytes("outbox.max-header-size", properties.getMaxHeaderSize(), "8KB"))
			.partitions(partitions(properties))
			.database(properties.getDatabase())
			.notifyChannel(notifyChannel(properties))
			.commitListeners(commitListeners.orderedStream().toList())
			.headerContributors(headerContributors.orderedStream().toList())
			.clock(clock.getIfUnique(Clock::systemUTC))
			.build();
	}

	/**
	 * Checks a name by the {@link SqlIdentifiers} rule, failing start-up naming the
	 * property and the fix.
	 */
	@Contract("_, !null, _ -> !null")
	private static @Nullable String identifier(String property, @Nullable String value, String example) {
		String reason = (value != null) ? SqlIdentifiers.invalidReason(value.trim(), property, example) : null;
		if (reason != null) {
			throw new InvalidConfigurationPropertyValueException(property, value, reason);
		}
		return (value != null) ? value.trim() : null;
	}

	private static int bytes(String property, DataSize size, String example) {
		long bytes = size.toBytes();
		if (bytes < 1 || bytes > Integer.MAX_VALUE) {
			throw new InvalidConfigurationPropertyValueException(property, size,
					"It must be between 1B and 2GB, for example " + example + ".");
		}
		return (int) bytes;
	}

	private static int maxHeaders(OutboxProperties properties) {
		if (properties.getMaxHeaders() < 0) {
			throw new InvalidConfigurationPropertyValueException("outbox.max-headers", properties.getMaxHeaders(),
					"It must not be negative, for example " + JdbcOutbox.DEFAULT_MAX_HEADERS + ".");
		}
		return properties.getMaxHeaders();
	}

	private static int partitions(OutboxProperties properties) {
		if (properties.getPartitions() < 1) {
			throw new InvalidConfigurationPropertyValueException("outbox.partitions", properties.getPartitions(),
					"It must be at least 1 and the same for every writer and relay of the outbox table.");
		}
		return properties.getPartitions();
	}

	private static @Nullable String notifyChannel(OutboxProperties properties) {
		String channel = properties.getNotifyChannel();
		if (channel == null || channel.isBlank()) {
			return null;
		}
		String reason = SqlIdentifiers.invalidReason(channel, "outbox.notify-channel",
				JdbcOutbox.DEFAULT_NOTIFY_CHANNEL);
		if (reason != null) {
			throw new InvalidConfigurationPropertyValueException("outbox.notify-channel", channel,
					reason + " Or leave it empty to send no notification.");
		}
		return channel;
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "org.flywaydb.core.Flyway")
	@ConditionalOnBooleanProperty(name = "outbox.flyway.enabled", matchIfMissing = true)
	static class OutboxFlywayConfiguration {

		@Bean
		@ConditionalOnMissingBean
		OutboxSchemaInitializer outboxSchemaInitializer(DataSource dataSource, OutboxTables tables,
				OutboxProperties properties) {
			String historyTable = properties.getFlyway().getHistoryTable();
			if (historyTable != null && !historyTable.isBlank()) {
				historyTable = identifier("outbox.flyway.history-table", historyTable,
						OutboxSchemaInitializer.defaultHistoryTable(tables));
			}
			return new OutboxSchemaInitializer(dataSource, tables,
					(historyTable != null && !historyTable.isBlank()) ? historyTable : null, properties.getDatabase());
		}

	}

	/**
	 * Flyway was left out of the class path (e.g. excluded from the starter) while the
	 * outbox is still asked to create its tables: fail instead of starting without them.
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingClass("org.flywaydb.core.Flyway")
	@ConditionalOnBooleanProperty(name = "outbox.flyway.enabled", matchIfMissing = true)
	static class MissingFlywayConfiguration {

		@Bean
		Object outboxFlywayMissing() {
			throw new InvalidConfigurationPropertyValueException("outbox.flyway.enabled", true,
					"Flyway is not on the class path, so the outbox tables cannot be created. Add "
							+ "org.flywaydb:flyway-database-postgresql, or org.flywaydb:flyway-mysql for MariaDB and "
							+ "MySQL (the starter brings both unless they were excluded), "
							+ "or set outbox.flyway.enabled=false and create the tables yourself with the SQL in "
							+ "dev/outbox/db/event/V1__create_event_tables.sql and "
							+ "dev/outbox/db/processed/V1__create_processed_table.sql of outbox-core (on MariaDB and MySQL "
							+ "those of dev/outbox/db/mysql).");
		}

	}

}
