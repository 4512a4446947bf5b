package dev.outbox.autoconfigure.jdbc;

import java.util.Map;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;

import org.springframework.beans.factory.InitializingBean;

import dev.outbox.OutboxTables;

/**
 * Creates and upgrades the outbox tables at start-up with a Flyway of its own: its own
 * history table, the migrations shipped in {@code classpath:dev/outbox/db/migration}, and
 * a baseline at version 0 so it also runs in a schema that already holds the
 * application's tables. It is not a {@link Flyway} bean, so it leaves the application's
 * Flyway auto-configuration alone, and it runs after the application's migrations.
 */
final class OutboxSchemaInitializer implements InitializingBean {

	static final String LOCATION = "classpath:dev/outbox/db/migration";

	private final DataSource dataSource;

	private final OutboxTables tables;

	private final String historyTable;

	OutboxSchemaInitializer(DataSource dataSource, OutboxTables tables, String historyTable) {
		this.dataSource = dataSource;
		this.tables = tables;
		this.historyTable = historyTable;
	}

	@Override
	public void afterPropertiesSet() {
		FluentConfiguration configuration = Flyway.configure(getClass().getClassLoader())
			.dataSource(this.dataSource)
			.locations(LOCATION)
			.table(this.historyTable)
			.placeholders(
					Map.of("event_table", this.tables.eventTable(), "processed_table", this.tables.processedTable()))
			.baselineOnMigrate(true)
			.baselineVersion("0")
			.baselineDescription("<< outbox baseline >>");
		String schema = this.tables.schema();
		if (schema != null) {
			configuration.schemas(schema).defaultSchema(schema).createSchemas(true);
		}
		configuration.load().migrate();
	}

}
