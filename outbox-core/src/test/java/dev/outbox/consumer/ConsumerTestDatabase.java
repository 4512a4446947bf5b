package dev.outbox.consumer;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxTables;
import dev.outbox.test.TestPostgres;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

/**
 * A fresh schema with the outbox tables and an {@code effect} table the test handlers
 * write to.
 */
final class ConsumerTestDatabase implements AutoCloseable {

	final TestPostgres.Database database = TestPostgres.newSchema();

	final HikariDataSource dataSource = this.database.dataSource();

	final DataSourceTransactionManager transactionManager = new DataSourceTransactionManager(this.dataSource);

	final JdbcTemplate jdbc = new JdbcTemplate(this.dataSource);

	final OutboxTables tables = new OutboxTables(this.database.schema(), OutboxTables.DEFAULT_EVENT_TABLE,
			OutboxTables.DEFAULT_PROCESSED_TABLE);

	ConsumerTestDatabase() {
		this.database.migrateOutboxSchema(this.dataSource);
		this.jdbc.execute("create table effect (id serial primary key, message_id varchar(255))");
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
