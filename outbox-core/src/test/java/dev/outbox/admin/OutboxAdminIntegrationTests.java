package dev.outbox.admin;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxTables;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;
import dev.outbox.spi.Partitions;
import dev.outbox.test.TestDatabase;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link OutboxAdmin} against the real PostgreSQL and MariaDB, with a real relay where
 * delivery matters.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
class OutboxAdminIntegrationTests {

	@Parameter
	String product;

	private boolean mysql;

	private TestDatabase database;

	private HikariDataSource dataSource;

	private OutboxTables tables;

	private JdbcTemplate jdbc;

	private final AtomicInteger wakeUps = new AtomicInteger();

	private OutboxAdmin admin;

	/**
	 * The database's time when the test starts, whole seconds; the admin's fixed clock.
	 */
	private Instant now;

	@BeforeEach
	void createSchema() {
		this.database = TestDatabase.create(this.product);
		this.mysql = !this.product.equals("postgresql");
		this.dataSource = this.database.dataSource();
		this.tables = new OutboxTables(this.database.schema(), "outbox_event", "outbox_processed_message");
		this.jdbc = new JdbcTemplate(this.dataSource);
		this.database.migrateOutboxSchema(this.dataSource);
		// due times are the database's clock: the rows below are due or not by it
		this.now = databaseNow().truncatedTo(ChronoUnit.SECONDS);
		this.admin = OutboxAdmin.builder(this.dataSource, this.tables)
			.clock(Clock.fixed(this.now, ZoneOffset.UTC))
			.onReplay(this.wakeUps::incrementAndGet)
			.build();
	}

	@AfterEach
	void dropSchema() {
		if (this.dataSource == null) {
			return; // skipped before the schema: a server this machine does not have
		}
		try {
			this.database.drop(this.dataSource);
		}
		finally {
			this.dataSource.close();
		}
	}

	@Test
	void statsOfAnEmptyOutboxAreZero() {
		assertThat(this.admin.stats()).isEqualTo(new OutboxStats(0, 0, 0, null));
	}

	@Test
	void statsCountPendingFailingAndParkedAndAgeTheOldestDueEvent() {
		insert("k1", "PENDING", 0, this.now.minusSeconds(30), this.now.minusSeconds(30), null);
		// delayed, due since 10 s
		insert("k2", "PENDING", 0, this.now.minusSeconds(90), this.now.minusSeconds(10), null);
		// delayed, not due
		insert("k3", "PENDING", 0, this.now.minusSeconds(300), this.now.plusSeconds(60), null);
		// failing, backing off
		insert("k4", "PENDING", 2, this.now.minusSeconds(45), this.now.plusSeconds(5), "boom");
		insert("k5", "PARKED", 10, this.now.minusSeconds(600), this.now.minusSeconds(500), "gone");
		insert("k6", "PUBLISHED", 0, this.now.minusSeconds(900), this.now.minusSeconds(900), null);

		OutboxStats stats = this.admin.stats();

		assertThat(stats.pending()).isEqualTo(4);
		assertThat(stats.failing()).isEqualTo(1);
		assertThat(stats.parked()).isEqualTo(1);
		assertThat(stats.oldestPendingAge()).isEqualTo(Duration.ofSeconds(45));
	}

	@Test
	void statsCountEventsWrittenWithoutADelayAsDueWhateverTheWriterClockSaid() {
		// written by an instance whose clock runs an hour ahead of the database's
		Instant ahead = this.now.plus(Duration.ofHours(1));
		insert("k1", "PENDING", 0, ahead, ahead, null);

		// due at once for the relay (available_at = created_at): waiting, for no time yet
		assertThat(this.admin.stats().oldestPendingAge()).isEqualTo(Duration.ZERO);
	}

	@Test
	void listsParkedThenFailingEventsWithTheirErrorAndPayloadOnlyWhenAsked() {
		UUID failing = insert("k1", "PENDING", 2, this.now.minusSeconds(20), this.now.plusSeconds(5), "broker down");
		UUID parked = insert("k2", "PARKED", 10, this.now.minusSeconds(10), this.now, "no route");
		insert("k3", "PENDING", 0, this.now, this.now, null);

		List<FailedEvent> events = this.admin.failedEvents(10, false);

		assertThat(events).extracting(FailedEvent::id).containsExactly(parked, failing);
		FailedEvent first = events.get(0);
		assertThat(first.state()).isEqualTo(FailedEvent.State.PARKED);
		assertThat(first.destination()).isEqualTo("orders");
		assertThat(first.key()).isEqualTo("k2");
		assertThat(first.eventType()).isEqualTo("order-placed");
		assertThat(first.attempts()).isEqualTo(10);
		assertThat(first.lastError()).isEqualTo("no route");
		assertThat(first.createdAt()).isEqualTo(this.now.minusSeconds(10));
		assertThat(first.payload()).isNull();
		assertThat(events.get(1).state()).isEqualTo(FailedEvent.State.FAILING);
		assertThat(this.admin.failedEvents(1, true)).singleElement()
			.satisfies((event) -> assertThat(new String(event.payload(), StandardCharsets.UTF_8))
				.isEqualTo("{\"key\":\"k2\"}"));
		assertThat(this.admin.failedEvent(parked, true))
			.hasValueSatisfying((event) -> assertThat(event.payload()).isNotNull());
		assertThat(this.admin.failedEvent(UUID.randomUUID(), false)).isEmpty();
	}

	@Test
	void replayMakesAParkedEventPendingAndDueWithFreshAttempts() {
		UUID parked = insert("k1", "PARKED", 10, this.now.minusSeconds(10), this.now.minusSeconds(5), "no route");
		Instant before = databaseNow();

		assertThat(this.admin.replay(parked)).isTrue();

		Map<String, Object> row = row(parked);
		assertThat(row).containsEntry("status", "PENDING").containsEntry("attempts", 0);
		assertThat(availableAt(parked)).isBetween(before, databaseNow());
		assertThat(this.wakeUps).hasValue(1);
		assertThat(this.admin.stats().parked()).isZero();
	}

	@Test
	void replayedEventsAreDueByTheDatabaseClockWhenTheInstanceClockIsAhead() {
		OutboxAdmin ahead = OutboxAdmin.builder(this.dataSource, this.tables)
			.clock(Clock.offset(Clock.systemUTC(), Duration.ofHours(1)))
			.build();
		UUID parked = insert("k1", "PARKED", 10, this.now.minusSeconds(10), this.now.minusSeconds(5), "no route");
		UUID failing = insert("k2", "PENDING", 3, this.now.minusSeconds(10), this.now.minusSeconds(5), "timeout");

		assertThat(ahead.replay(parked)).isTrue();
		assertThat(ahead.replayAll()).isOne();

		// the relay's fetch sends a row once available_at <= the database's now
		Instant now = databaseNow();
		assertThat(availableAt(parked)).isBeforeOrEqualTo(now);
		assertThat(availableAt(failing)).isBeforeOrEqualTo(now);
	}

	@Test
	void replayAndDiscardNotifyTheRelaysOfOtherInstances() throws Exception {
		OutboxAdmin admin = OutboxAdmin.builder(this.dataSource, this.tables)
			.notifyChannel("outbox_admin_test")
			.build();
		UUID parked = insert("k1", "PARKED", 10, this.now.minusSeconds(10), this.now.minusSeconds(5), "no route");
		UUID failing = insert("k2", "PENDING", 3, this.now.minusSeconds(10), this.now.plusSeconds(5), "timeout");
		if (this.mysql) {
			// no notifications there: the channel is ignored, the relays poll
			assertThat(admin.replay(parked)).isTrue();
			assertThat(admin.discard(failing)).isTrue();
			return;
		}
		try (Connection listener = this.database.dataSource().getConnection()) {
			PGConnection pg = listener.unwrap(PGConnection.class);
			try (Statement statement = listener.createStatement()) {
				statement.execute("listen outbox_admin_test");
			}
			assertThat(admin.replay(UUID.randomUUID())).isFalse();
			assertThat(notifications(pg, 200)).isZero();
			assertThat(admin.replay(parked)).isTrue();
			assertThat(notifications(pg, 5000)).isOne();
			assertThat(admin.discard(failing)).isTrue();
			assertThat(notifications(pg, 5000)).isOne();
		}
	}

	private static int notifications(PGConnection connection, int timeoutMillis) throws SQLException {
		PGNotification[] received = connection.getNotifications(timeoutMillis);
		return (received != null) ? received.length : 0;
	}

	@Test
	void replayAndDiscardIgnoreEventsThatAreNeitherParkedNorFailing() {
		UUID pending = insert("k1", "PENDING", 0, this.now, this.now, null);
		UUID published = insert("k2", "PUBLISHED", 0, this.now, this.now, null);

		assertThat(this.admin.replay(pending)).isFalse();
		assertThat(this.admin.replay(published)).isFalse();
		assertThat(this.admin.replay(UUID.randomUUID())).isFalse();
		assertThat(this.admin.discard(pending)).isFalse();
		assertThat(this.admin.discard(published)).isFalse();
		assertThat(this.admin.replayAll()).isZero();
		assertThat(this.wakeUps).hasValue(0);
		assertThat(count()).isEqualTo(2);
	}

	@Test
	void replayAllReplaysParkedAndFailingEvents() {
		insert("k1", "PARKED", 10, this.now, this.now, "a");
		insert("k2", "PARKED", 10, this.now, this.now, "b");
		insert("k3", "PENDING", 3, this.now, this.now.plusSeconds(60), "c");

		assertThat(this.admin.replayAll()).isEqualTo(3);

		assertThat(this.admin.stats()).isEqualTo(new OutboxStats(3, 0, 0, Duration.ZERO));
		assertThat(this.wakeUps).hasValue(1);
	}

	@Test
	void discardDeletesAParkedEvent() {
		UUID parked = insert("k1", "PARKED", 10, this.now, this.now, "a");
		UUID other = insert("k2", "PARKED", 10, this.now, this.now, "a");

		assertThat(this.admin.discard(parked)).isTrue();

		assertThat(this.jdbc.query("select id from " + this.tables.qualifiedEventTable(),
				(rs, row) -> UUID.fromString(rs.getString(1))))
			.containsExactly(other);
	}

	@Test
	void replayedEventIsDeliveredBeforeTheLaterEventsOfItsKey() {
		AtomicBoolean brokerDown = new AtomicBoolean(true);
		List<String> delivered = new CopyOnWriteArrayList<>();
		OutboxSender sender = new OutboxSender() {

			@Override
			public String name() {
				return "test";
			}

			@Override
			public CompletableFuture<Void> send(OutboxMessage message) {
				if (brokerDown.get()) {
					return CompletableFuture.failedFuture(new IllegalStateException("broker down"));
				}
				delivered.add(new String(message.payload(), StandardCharsets.UTF_8));
				return CompletableFuture.completedFuture(null);
			}

		};
		OutboxRelay relay = OutboxRelay.builder(this.dataSource, this.tables)
			.sender(sender)
			.maxAttempts(1)
			.pollInterval(Duration.ofMillis(100))
			.sendTimeout(Duration.ofSeconds(2))
			.leaseDuration(Duration.ofSeconds(10))
			.build();
		OutboxAdmin admin = OutboxAdmin.builder(this.dataSource, this.tables).onReplay(relay::wakeUp).build();
		Instant now = Instant.now();
		UUID first = insert("k1", "PENDING", 0, now, now, null, "first");
		relay.start();
		try {
			await().atMost(Duration.ofSeconds(10)).until(() -> admin.stats().parked() == 1);
			// the broker is back before the later events exist: a poll between their
			// insert and its return would park them too
			brokerDown.set(false);
			insert("k1", "PENDING", 0, now, now, null, "second");
			insert("k2", "PENDING", 0, now, now, null, "other");
			await().atMost(Duration.ofSeconds(10)).until(() -> delivered.contains("other"));
			assertThat(delivered).containsExactly("other");
			assertThat(admin.failedEvents(10, false)).singleElement()
				.satisfies((event) -> assertThat(event.lastError()).contains("broker down"));

			assertThat(admin.replay(first)).isTrue();

			await().atMost(Duration.ofSeconds(10)).until(() -> delivered.size() == 3);
			assertThat(delivered).containsExactly("other", "first", "second");
			// the relay marks them published after the sends, on a thread of its own
			await().atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(admin.stats()).isEqualTo(new OutboxStats(0, 0, 0, null)));
		}
		finally {
			relay.stop();
		}
	}

	private UUID insert(String key, String status, int attempts, Instant createdAt, Instant availableAt,
			@Nullable String lastError) {
		return insert(key, status, attempts, createdAt, availableAt, lastError, "{\"key\":\"" + key + "\"}");
	}

	private UUID insert(String key, String status, int attempts, Instant createdAt, Instant availableAt,
			@Nullable String lastError, String payload) {
		UUID id = UUID.randomUUID();
		this.jdbc.update("insert into " + this.tables.qualifiedEventTable()
				+ " (id, aggregate_type, aggregate_id, event_type, destination, message_key, partition_no, payload,"
				+ " content_type, headers, status, attempts, last_error, created_at, available_at)"
				+ " values (?, 'order', ?, 'order-placed', 'orders', ?, ?, ?, 'application/json', '{}', ?, ?, ?, ?, ?)",
				id(id), key, key, Partitions.of(key, Partitions.DEFAULT_COUNT),
				payload.getBytes(StandardCharsets.UTF_8), status, attempts, lastError, time(createdAt),
				time(availableAt));
		return id;
	}

	private Object id(UUID id) {
		return this.mysql ? id.toString() : id;
	}

	private Object time(Instant instant) {
		return this.mysql ? LocalDateTime.ofInstant(instant, ZoneOffset.UTC) : instant.atOffset(ZoneOffset.UTC);
	}

	private Map<String, Object> row(UUID id) {
		return this.jdbc.queryForMap("select * from " + this.tables.qualifiedEventTable() + " where id = ?", id(id));
	}

	private Instant availableAt(UUID id) {
		return instant("select available_at from " + this.tables.qualifiedEventTable() + " where id = ?", id(id));
	}

	private Instant databaseNow() {
		return instant(this.mysql ? "select utc_timestamp(6)" : "select now()");
	}

	/** The one time the query selects: UTC {@code datetime(6)} on MariaDB and MySQL. */
	private Instant instant(String sql, Object... args) {
		return this.mysql ? this.jdbc.queryForObject(sql, LocalDateTime.class, args).toInstant(ZoneOffset.UTC)
				: this.jdbc.queryForObject(sql, OffsetDateTime.class, args).toInstant();
	}

	private int count() {
		return this.jdbc.queryForObject("select count(*) from " + this.tables.qualifiedEventTable(), Integer.class);
	}

}
