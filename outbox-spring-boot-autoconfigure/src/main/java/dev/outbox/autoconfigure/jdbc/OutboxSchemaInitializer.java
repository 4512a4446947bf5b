package dev.outbox.autoconfigure.jdbc;

import java.util.Map;

import javax.sql.DataSource;

import dev.outbox.OutboxDatabase;
import dev.outbox.OutboxTables;
import dev.outbox.SqlIdentifiers;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.util.ClassUtils;

/**
 * Creates and upgrades the outbox tables at start-up with Flyways of its own, so it
 * leaves the application's Flyway auto-configuration alone, and runs after the
 * application's migrations. Two sets of migrations, each with its own history table:
 * <ul>
 * <li>the event tables of this outbox ({@value #EVENT_LOCATION}), history
 * {@code outbox.flyway.history-table}, by default {@value #LEGACY_HISTORY_TABLE} for the
 * default event table and {@code
 *
<table>
 * _schema_history} for any other, so that several outboxes (different
 * {@code outbox.table}) in one schema each migrate their own tables;
 * <li>the processed-message table ({@value #PROCESSED_LOCATION}), history
 * {@code <processed-table>_schema_history}: it is shared by the outboxes of a schema, and
 * created by the first to start ({@code if not exists}, so it also keeps a table created
 * by an earlier version or by hand).
 * </ul>
 * Each baselines at version 0 when its schema already holds other tables. Upgrades of
 * installs made by earlier versions, whose single migration created both sets under
 * {@value #LEGACY_HISTORY_TABLE}: that history, when still in use, is realigned once with
 * the event tables' migration ({@link Flyway#repair()}); an event table that exists
 * without its history (a custom table that shared the old history, or tables created by
 * hand) is adopted with a baseline at version 1.
 * <p>
 * On MariaDB and MySQL the migrations come from {@value #MYSQL_EVENT_LOCATION} and
 * {@value #MYSQL_PROCESSED_LOCATION} (same history tables and placeholders; no earlier
 * versions to upgrade), and the names are checked against those databases' reserved words
 * as well.
 */
final class OutboxSchemaInitializer implements InitializingBean {

	static final String EVENT_LOCATION = "classpath:dev/outbox/db/event";

	static final String PROCESSED_LOCATION = "classpath:dev/outbox/db/processed";

	static final String MYSQL_EVENT_LOCATION = "classpath:dev/outbox/db/mysql/event";

	static final String MYSQL_PROCESSED_LOCATION = "classpath:dev/outbox/db/mysql/processed";

	/**
	 * History table of earlier versions, still the default for the default event table.
	 */
	static final String LEGACY_HISTORY_TABLE = "outbox_schema_history";

	/** Description of the single migration of earlier versions. */
	private static final String LEGACY_MIGRATION = "create outbox tables";

	private static final Log logger = LogFactory.getLog(OutboxSchemaInitializer.class);

	private final DataSource dataSource;

	private final OutboxTables tables;

	private final String historyTable;

	private final @Nullable OutboxDatabase configuredDatabase;

	OutboxSchemaInitializer(DataSource dataSource, OutboxTables tables, @Nullable String historyTable) {
		this(dataSource, tables, historyTable, null);
	}

	/**
	 * Create an initializer.
	 * @param dataSource the data source
	 * @param tables the tables
	 * @param historyTable the event tables' history table, {@code null} for the default
	 * @param database the database, {@code null} to read it from a connection
	 */
	OutboxSchemaInitializer(DataSource dataSource, OutboxTables tables, @Nullable String historyTable,
			@Nullable OutboxDatabase database) {
		this.dataSource = dataSource;
		this.tables = tables;
		this.historyTable = (historyTable != null) ? historyTable : defaultHistoryTable(tables);
		this.configuredDatabase = database;
	}

	/**
	 * The history table of the event tables' migrations when none is configured.
	 * @param tables the outbox tables
	 * @return the history table name
	 */
	static String defaultHistoryTable(OutboxTables tables) {
		return OutboxTables.DEFAULT_EVENT_TABLE.equals(tables.eventTable()) ? LEGACY_HISTORY_TABLE
				: tables.eventTable() + "_schema_history";
	}

	/**
	 * The history table of the processed-message table's migrations.
	 * @param tables the outbox tables
	 * @return the history table name
	 */
	static String processedHistoryTable(OutboxTables tables) {
		return tables.processedTable() + "_schema_history";
	}

	String historyTable() {
		return this.historyTable;
	}

	@Override
	public void afterPropertiesSet() {
		OutboxDatabase database = (this.configuredDatabase != null) ? this.configuredDatabase
				: OutboxDatabase.of(this.dataSource);
		if (database.isMySqlFamily()) {
			migrateMySql(database);
			return;
		}
		JdbcTemplate jdbc = new JdbcTemplate(this.dataSource);
		boolean historyExists = exists(jdbc, this.historyTable);
		boolean adopt = !historyExists && exists(jdbc, this.tables.eventTable());
		Flyway events = configure(EVENT_LOCATION, this.historyTable, adopt ? "1" : "0").load();
		if (adopt) {
			logger.info("Adopting the existing outbox table " + this.tables.qualifiedEventTable()
					+ " at migration version 1 in the new history table " + this.historyTable);
		}
		else if (historyExists && isLegacy(jdbc)) {
			logger.info("Realigning the outbox migration history " + this.historyTable
					+ " with the migrations of this version (the processed-message table now has its own history)");
			events.repair();
		}
		events.migrate();
		configure(PROCESSED_LOCATION, processedHistoryTable(this.tables), "0").load().migrate();
	}

	/**
	 * MariaDB and MySQL: their own migrations, nothing to adopt or realign (no earlier
	 * version ran there).
	 */
	private void migrateMySql(OutboxDatabase database) {
		checkName("outbox.table", this.tables.eventTable(), OutboxTables.DEFAULT_EVENT_TABLE, database);
		checkName("outbox.processed-table", this.tables.processedTable(), OutboxTables.DEFAULT_PROCESSED_TABLE,
				database);
		checkName("outbox.flyway.history-table", this.historyTable, LEGACY_HISTORY_TABLE, database);
		String schema = this.tables.schema();
		if (schema != null) {
			checkName("outbox.schema", schema, "outbox", database);
		}
		if (!ClassUtils.isPresent("org.flywaydb.database.mysql.MySQLDatabaseType", getClass().getClassLoader())) {
			throw new InvalidConfigurationPropertyValueException("outbox.flyway.enabled", true,
					"Flyway's support of " + database.displayName() + " is not on the class path, so the outbox "
							+ "tables cannot be created. Add org.flywaydb:flyway-mysql (the starter brings it unless "
							+ "it was excluded), or set outbox.flyway.enabled=false and create the tables with the SQL "
							+ "in dev/outbox/db/mysql of outbox-core.");
		}
		configure(MYSQL_EVENT_LOCATION, this.historyTable, "0").load().migrate();
		configure(MYSQL_PROCESSED_LOCATION, processedHistoryTable(this.tables), "0").load().migrate();
	}

	private static void checkName(String property, String name, String example, OutboxDatabase database) {
		String reason = SqlIdentifiers.invalidReason(name, property, example, database);
		if (reason != null) {
			throw new InvalidConfigurationPropertyValueException(property, name, reason);
		}
	}

	private FluentConfiguration configure(String location, String history, String baselineVersion) {
		FluentConfiguration configuration = Flyway.configure(getClass().getClassLoader())
			.dataSource(this.dataSource)
			.locations(location)
			.table(history)
			.placeholders(
					Map.of("event_table", this.tables.eventTable(), "processed_table", this.tables.processedTable()))
			.baselineOnMigrate(true)
			.baselineVersion(baselineVersion)
			.baselineDescription("<< outbox baseline >>");
		String schema = this.tables.schema();
		if (schema != null) {
			configuration.schemas(schema).defaultSchema(schema).createSchemas(true);
		}
		return configuration;
	}

	private boolean exists(JdbcTemplate jdbc, String table) {
		Boolean exists = jdbc.queryForObject(
				"select exists (select 1 from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = "
						+ "c.relnamespace where n.nspname = coalesce(cast(? as text), current_schema()) and c.relname = ?)",
				Boolean.class, this.tables.schema(), table);
		return Boolean.TRUE.equals(exists);
	}

	/**
	 * Whether the history holds the single migration of earlier versions, and nothing but
	 * outbox migrations (a history shared with the application's is left to Flyway's
	 * validation).
	 */
	private boolean isLegacy(JdbcTemplate jdbc) {
		String history = (this.tables.schema() != null) ? this.tables.schema() + "." + this.historyTable
				: this.historyTable;
		Boolean legacy = jdbc.queryForObject(
				"select exists (select 1 from " + history
						+ " where version = '1' and description = ? and success) and not exists (select 1 from "
						+ history + " where version is not null and version not in ('0', '1'))",
				Boolean.class, LEGACY_MIGRATION);
		return Boolean.TRUE.equals(legacy);
	}

}
