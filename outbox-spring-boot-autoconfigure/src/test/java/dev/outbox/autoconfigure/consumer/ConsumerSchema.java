package dev.outbox.autoconfigure.consumer;

import javax.sql.DataSource;

import dev.outbox.test.TestPostgres;

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
			database.migrateOutboxSchema(dataSource);
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
