package dev.outbox.autoconfigure.consumer;

import java.util.Map;

import javax.sql.DataSource;

import dev.outbox.OutboxTables;
import dev.outbox.test.TestPostgres;
import org.flywaydb.core.Flyway;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * A fresh schema with the outbox tables and an {@code effect} table for the test
 * listeners.
 */
final class ConsumerSchema {

	private ConsumerSchema() {
	}

	static TestPostgres.Database create() {
		TestPostgres.Database database = TestPostgres.newSchema();
		try (var dataSource = database.dataSource()) {
			Flyway.configure()
				.dataSource(dataSource)
				.schemas(database.schema())
				.locations("classpath:dev/outbox/db/migration")
				.table("outbox_schema_history")
				.placeholders(Map.of("event_table", OutboxTables.DEFAULT_EVENT_TABLE, "processed_table",
						OutboxTables.DEFAULT_PROCESSED_TABLE))
				.load()
				.migrate();
			new JdbcTemplate(dataSource)
				.execute("create table effect (id serial primary key, consumer varchar(255), message_id varchar(255))");
		}
		return database;
	}

	static int count(DataSource dataSource, String sql, Object... args) {
		Integer count = new JdbcTemplate(dataSource).queryForObject(sql, Integer.class, args);
		return (count != null) ? count : 0;
	}

}
