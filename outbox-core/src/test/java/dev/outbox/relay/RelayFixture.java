package dev.outbox.relay;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxTables;
import dev.outbox.spi.Partitions;
import dev.outbox.test.TestPostgres;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * A fresh outbox schema on the real PostgreSQL, with a plain-SQL writer standing in for
 * the write path (rows as V1 defines them). Public for the fault-injection tests.
 */
public final class RelayFixture implements AutoCloseable {

	static final int PARTITIONS = Partitions.DEFAULT_COUNT;

	public final TestPostgres.Database database = TestPostgres.newSchema();

	public final HikariDataSource dataSource = this.database.dataSource();

	public final OutboxTables tables = new OutboxTables(this.database.schema(), "outbox_event",
			"outbox_processed_message");

	public final JdbcTemplate jdbc = new JdbcTemplate(this.dataSource);

	public RelayFixture() {
		this.database.migrateOutboxSchema(this.dataSource);
	}

	/**
	 * Insert and commit one event.
	 */
	public UUID insert(String destination, String key, String payload) {
		try (Connection connection = this.dataSource.getConnection()) {
			return insert(connection, destination, key, payload, null);
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Insert one event on the given connection (commits if it is in auto-commit mode).
	 */
	public UUID insert(Connection connection, String destination, String key, String payload,
			@Nullable Instant availableAt) throws SQLException {
		UUID id = UUID.randomUUID();
		Instant now = Instant.now();
		try (PreparedStatement statement = connection.prepareStatement("insert into "
				+ this.tables.qualifiedEventTable()
				+ " (id, aggregate_type, aggregate_id, event_type, destination, routing_key, message_key, partition_no, payload, content_type, headers, created_at, available_at)"
				+ " values (?, 'order', ?, 'order-placed', ?, null, ?, ?, ?, 'application/json', ?::jsonb, ?, ?)")) {
			statement.setObject(1, id);
			statement.setString(2, key);
			statement.setString(3, destination);
			statement.setString(4, key);
			statement.setInt(5, Partitions.of(key, PARTITIONS));
			statement.setBytes(6, payload.getBytes(StandardCharsets.UTF_8));
			statement.setString(7, "{\"traceparent\":\"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\"}");
			statement.setObject(8, now.atOffset(ZoneOffset.UTC));
			statement.setObject(9, ((availableAt != null) ? availableAt : now).atOffset(ZoneOffset.UTC));
			statement.executeUpdate();
		}
		return id;
	}

	public String status(UUID id) {
		List<String> status = this.jdbc.queryForList(
				"select status from " + this.tables.qualifiedEventTable() + " where id = ?", String.class, id);
		return status.isEmpty() ? "DELETED" : status.get(0);
	}

	public Map<String, Object> row(UUID id) {
		return this.jdbc.queryForMap("select * from " + this.tables.qualifiedEventTable() + " where id = ?", id);
	}

	public int count(String where) {
		Integer count = this.jdbc.queryForObject(
				"select count(*) from " + this.tables.qualifiedEventTable() + " where " + where, Integer.class);
		return (count != null) ? count : 0;
	}

	public OutboxRelay.Builder relay() {
		return OutboxRelay.builder(this.dataSource, this.tables)
			.partitions(PARTITIONS)
			.pollInterval(Duration.ofMillis(100))
			.sendTimeout(Duration.ofSeconds(5))
			.leaseDuration(Duration.ofSeconds(15))
			.backoff(Duration.ofMillis(50), 2.0, Duration.ofMillis(200), 0.0);
	}

	@Override
	public void close() {
		try {
			this.database.drop(this.dataSource);
		}
		finally {
			this.dataSource.close();
		}
	}

}
