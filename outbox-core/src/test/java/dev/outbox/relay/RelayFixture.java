package dev.outbox.relay;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxDatabase;
import dev.outbox.OutboxTables;
import dev.outbox.spi.Partitions;
import dev.outbox.test.TestDatabase;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * A fresh outbox schema on the real PostgreSQL (or database on the real MariaDB), with a
 * plain-SQL writer standing in for the write path (rows as the migrations define them).
 * Public for the fault-injection tests.
 */
public final class RelayFixture implements AutoCloseable {

	static final int PARTITIONS = Partitions.DEFAULT_COUNT;

	public final TestDatabase database;

	public final HikariDataSource dataSource;

	public final OutboxTables tables;

	public final JdbcTemplate jdbc;

	/** Whether the server is MariaDB or MySQL, rather than PostgreSQL. */
	final boolean mysql;

	/**
	 * A fixture on PostgreSQL.
	 */
	public RelayFixture() {
		this("postgresql");
	}

	/**
	 * A fixture on the server of a product.
	 * @param product {@code postgresql}, {@code mariadb} or {@code mysql}
	 */
	public RelayFixture(String product) {
		this.database = TestDatabase.create(product);
		this.mysql = !product.equals("postgresql");
		this.dataSource = this.database.dataSource();
		this.tables = new OutboxTables(this.database.schema(), "outbox_event", "outbox_processed_message");
		this.jdbc = new JdbcTemplate(this.dataSource);
		this.database.migrateOutboxSchema(this.dataSource);
	}

	/**
	 * An id as a statement parameter: a UUID on PostgreSQL, text on MariaDB.
	 */
	public Object id(UUID id) {
		return this.mysql ? id.toString() : id;
	}

	/**
	 * A time as a statement parameter, in UTC.
	 */
	public Object time(Instant instant) {
		return this.mysql ? LocalDateTime.ofInstant(instant, ZoneOffset.UTC) : instant.atOffset(ZoneOffset.UTC);
	}

	/**
	 * SQL for the database's current time plus some seconds (negative: minus).
	 */
	public String nowPlusSeconds(long seconds) {
		return this.mysql ? "utc_timestamp(6) + interval " + seconds + " second"
				: "now() + interval '" + seconds + " seconds'";
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
				+ " (id, aggregate_type, aggregate_id, event_type, destination, routing_key, message_key, partition_no, payload, content_type, headers, created_at, available_at"
				+ (this.mysql ? ", size_bytes" : "") + ")"
				+ " values (?, 'order', ?, 'order-placed', ?, null, ?, ?, ?, 'application/json', "
				+ (this.mysql ? "?, ?, ?, length(payload) + length(headers))" : "?::jsonb, ?, ?)"))) {
			statement.setObject(1, id(id));
			statement.setString(2, key);
			statement.setString(3, destination);
			statement.setString(4, key);
			statement.setInt(5, Partitions.of(key, PARTITIONS));
			statement.setBytes(6, payload.getBytes(StandardCharsets.UTF_8));
			statement.setString(7, "{\"traceparent\":\"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\"}");
			statement.setObject(8, time(now));
			statement.setObject(9, time((availableAt != null) ? availableAt : now));
			statement.executeUpdate();
		}
		return id;
	}

	public String status(UUID id) {
		List<String> status = this.jdbc.queryForList(
				"select status from " + this.tables.qualifiedEventTable() + " where id = ?", String.class, id(id));
		return status.isEmpty() ? "DELETED" : status.get(0);
	}

	public Map<String, Object> row(UUID id) {
		return this.jdbc.queryForMap("select * from " + this.tables.qualifiedEventTable() + " where id = ?", id(id));
	}

	public int count(String where) {
		Integer count = this.jdbc.queryForObject(
				"select count(*) from " + this.tables.qualifiedEventTable() + " where " + where, Integer.class);
		return (count != null) ? count : 0;
	}

	public OutboxRelay.Builder relay() {
		return OutboxRelay.builder(this.dataSource, this.tables)
			.database(OutboxDatabase.valueOf(this.database.product().toUpperCase(Locale.ROOT)))
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
