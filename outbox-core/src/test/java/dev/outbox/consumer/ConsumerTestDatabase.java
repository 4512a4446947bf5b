package dev.outbox.consumer;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxTables;
import dev.outbox.test.TestDatabase;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

/**
 * A fresh schema (a database on MariaDB) with the outbox tables and an {@code effect}
 * table the test handlers write to.
 */
final class ConsumerTestDatabase implements AutoCloseable {

	final TestDatabase database;

	final HikariDataSource dataSource;

	final DataSourceTransactionManager transactionManager;

	final JdbcTemplate jdbc;

	final OutboxTables tables;

	ConsumerTestDatabase() {
		this("postgresql");
	}

	ConsumerTestDatabase(String product) {
		this.database = TestDatabase.create(product);
		this.dataSource = this.database.dataSource();
		this.transactionManager = new DataSourceTransactionManager(this.dataSource);
		this.jdbc = new JdbcTemplate(this.dataSource);
		this.tables = new OutboxTables(this.database.schema(), OutboxTables.DEFAULT_EVENT_TABLE,
				OutboxTables.DEFAULT_PROCESSED_TABLE);
		this.database.migrateOutboxSchema(this.dataSource);
		// serial: an auto-numbered bigint on both databases
		this.jdbc.execute("create table effect (id serial primary key, message_id varchar(255))");
	}

	boolean postgres() {
		return "postgresql".equals(this.database.product());
	}

	void recordEffect(String messageId) {
		this.jdbc.update("insert into effect (message_id) values (?)", messageId);
	}

	int effects() {
		return count("select count(*) from effect");
	}

	int processed(String consumer) {
		return count("select count(*) from " + this.tables.qualifiedProcessedTable() + " where consumer = '" + consumer
				+ "'");
	}

	int processed() {
		return count("select count(*) from " + this.tables.qualifiedProcessedTable());
	}

	private int count(String sql) {
		Integer count = this.jdbc.queryForObject(sql, Integer.class);
		return (count != null) ? count : 0;
	}

	@Override
	public void close() {
		this.database.drop(this.dataSource);
		this.dataSource.close();
	}

}
