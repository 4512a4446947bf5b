package dev.outbox.jdbc;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxEventType;
import dev.outbox.OutboxException;
import dev.outbox.spi.OutboxCommitListener;
import dev.outbox.spi.Partitions;
import dev.outbox.spi.PayloadSerializer;
import dev.outbox.test.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * {@link JdbcOutbox} against a real PostgreSQL, with the shipped Flyway migration.
 */
class JdbcOutboxIntegrationTests {

	private static final Instant NOW = Instant.parse("2030-01-02T03:04:05.123456Z");

	private static TestPostgres.Database database;

	private static HikariDataSource dataSource;

	private static JdbcTemplate jdbc;

	private static TransactionTemplate transactions;

	private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

	@BeforeAll
	static void createSchema() {
		database = TestPostgres.newSchema();
		dataSource = database.dataSource();
		database.migrateOutboxSchema(dataSource);
		jdbc = new JdbcTemplate(dataSource);
		jdbc.execute("create table orders (id bigint primary key, total integer not null)");
		transactions = new TransactionTemplate(new JdbcTransactionManager(dataSource));
	}

	@AfterAll
	static void dropSchema() {
		database.drop(dataSource);
		dataSource.close();
	}

	@BeforeEach
	void clearTables() {
		jdbc.execute("truncate outbox_event, orders");
	}

	private JdbcOutbox.Builder outbox() {
		return JdbcOutbox.builder(dataSource).clock(this.clock).notifyChannel(null);
	}

	@Test
	void commitWritesRowWithEveryColumn() {
		JdbcOutbox outbox = outbox().partitions(7).build();
		Instant later = NOW.plus(Duration.ofMinutes(5));
		UUID id = transactions.execute((status) -> outbox.publish(OutboxEvent.builder("order-events")
			.routingKey("orders.placed")
			.aggregate("order", 42)
			.eventType("order-placed")
			.key("customer-7")
			.payload(new OrderPlaced(42, 1999))
			.header("tenant", "acme \"east\"")
			.availableAt(later)
			.build()));
		Map<String, Object> row = jdbc.queryForMap("select *, headers::text as headers_text from outbox_event");
		assertThat(row.get("id")).isEqualTo(id);
		assertThat(row.get("aggregate_type")).isEqualTo("order");
		assertThat(row.get("aggregate_id")).isEqualTo("42");
		assertThat(row.get("event_type")).isEqualTo("order-placed");
		assertThat(row.get("destination")).isEqualTo("order-events");
		assertThat(row.get("routing_key")).isEqualTo("orders.placed");
		assertThat(row.get("message_key")).isEqualTo("customer-7");
		assertThat(row.get("partition_no")).isEqualTo(Partitions.of("customer-7", 7));
		assertThat(new String((byte[]) row.get("payload"), StandardCharsets.UTF_8))
			.isEqualTo("{\"orderId\":42,\"total\":1999}");
		assertThat(row.get("content_type")).isEqualTo("application/json");
		assertThat(row.get("headers_text")).isEqualTo("{\"tenant\": \"acme \\\"east\\\"\"}");
		assertThat(row.get("status")).isEqualTo("PENDING");
		assertThat(row.get("attempts")).isEqualTo(0);
		assertThat(row.get("last_error")).isNull();
		assertThat(row.get("published_at")).isNull();
		assertThat(instant(row.get("created_at"))).isEqualTo(NOW);
		assertThat(instant(row.get("available_at"))).isEqualTo(later);
		assertThat(row.get("seq")).isNotNull();
		assertThat(id.version()).isEqualTo(7);
		assertThat(id.variant()).isEqualTo(2);
		assertThat(id.getMostSignificantBits() >>> 16).isEqualTo(NOW.toEpochMilli());
	}

	@Test
	void headerContributorsAddHeadersThatTheEventsOwnHeadersOverride() {
		JdbcOutbox outbox = outbox()
			.headerContributors(List.of((event) -> Map.of("traceparent", "00-abc-def-01", "tenant", "contributed"),
					(event) -> Map.of("event-type-seen", event.eventType())))
			.build();
		transactions.executeWithoutResult((status) -> outbox.publishAll(List.of(
				OutboxEvent.builder("orders").aggregate("order", 1).payload("a").header("tenant", "own").build(),
				OutboxEvent.of("orders", 2, "b"))));
		List<String> headers = jdbc.queryForList("select headers::text from outbox_event order by seq", String.class);
		assertThat(headers).containsExactly(
				"{\"tenant\": \"own\", \"traceparent\": \"00-abc-def-01\", \"event-type-seen\": \"String\"}",
				"{\"tenant\": \"contributed\", \"traceparent\": \"00-abc-def-01\", \"event-type-seen\": \"String\"}");
	}

	@Test
	void shortFormDefaultsKeyTypeAndAvailability() {
		JdbcOutbox outbox = outbox().build();
		transactions
			.executeWithoutResult((status) -> outbox.publish(OutboxEvent.of("orders", 42, new OrderPlaced(42, 5))));
		Map<String, Object> row = jdbc.queryForMap("select * from outbox_event");
		assertThat(row.get("aggregate_type")).isEqualTo("orders");
		assertThat(row.get("aggregate_id")).isEqualTo("42");
		assertThat(row.get("message_key")).isEqualTo("42");
		assertThat(row.get("event_type")).isEqualTo("order-placed");
		assertThat(row.get("routing_key")).isNull();
		assertThat(row.get("partition_no")).isEqualTo(Partitions.of("42", Partitions.DEFAULT_COUNT));
		assertThat(instant(row.get("available_at"))).isEqualTo(NOW);
	}

	@Test
	void messageIdsAreTimeOrderedInInsertionOrder() {
		JdbcOutbox outbox = outbox().build();
		List<UUID> published = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			published.add(transactions.execute((status) -> outbox.publish(OutboxEvent.of("orders", "a", "x"))));
		}
		published.addAll(transactions.execute((status) -> outbox.publishAll(List.of(OutboxEvent.of("orders", "b", "y"),
				OutboxEvent.of("orders", "a", "z"), OutboxEvent.of("orders", "c", "w")))));
		List<UUID> bySeq = jdbc.queryForList("select id from outbox_event order by seq", UUID.class);
		List<UUID> byId = jdbc.queryForList("select id from outbox_event order by id", UUID.class);
		assertThat(bySeq).containsExactlyElementsOf(published).containsExactlyElementsOf(byId).doesNotHaveDuplicates();
	}

	@Test
	void readOnlyTransactionIsRejected() {
		JdbcOutbox outbox = outbox().build();
		TransactionTemplate readOnly = new TransactionTemplate(transactions.getTransactionManager());
		readOnly.setReadOnly(true);
		assertThatExceptionOfType(OutboxException.class)
			.isThrownBy(
					() -> readOnly.executeWithoutResult((status) -> outbox.publish(OutboxEvent.of("orders", 1, "x"))))
			.withMessageContaining("read-only");
		assertThat(count("outbox_event")).isZero();
	}

	@Test
	void transactionOfAnotherDataSourceIsRejected() {
		JdbcOutbox outbox = outbox().build();
		try (HikariDataSource other = database.dataSource()) {
			TransactionTemplate otherTransactions = new TransactionTemplate(new JdbcTransactionManager(other));
			assertThatExceptionOfType(OutboxException.class)
				.isThrownBy(() -> otherTransactions
					.executeWithoutResult((status) -> outbox.publish(OutboxEvent.of("orders", 1, "x"))))
				.withMessageContaining("holds no connection of the outbox's DataSource");
		}
		assertThat(count("outbox_event")).isZero();
	}

	@Test
	void oversizePayloadIsRejectedAndBusinessChangeRollsBack() {
		JdbcOutbox outbox = outbox().maxPayloadSize(64).build();
		String secret = "s3cr3t-".repeat(20);
		assertThatExceptionOfType(OutboxException.class)
			.isThrownBy(() -> transactions.executeWithoutResult((status) -> {
				jdbc.update("insert into orders values (1, 10)");
				outbox.publish(
						OutboxEvent.builder("orders").aggregateId(1).eventType("order-noted").payload(secret).build());
			}))
			.withMessageContaining("'order-noted'")
			.withMessageContaining("'orders'")
			.withMessageContaining("limit of 64 bytes")
			.withMessageContaining("outbox.max-payload-size")
			.withMessageNotContaining("s3cr3t");
		assertThat(count("orders")).isZero();
		assertThat(count("outbox_event")).isZero();
	}

	@Test
	void headersCountTowardsTheSizeLimit() {
		JdbcOutbox outbox = outbox().maxPayloadSize(100).build();
		String secret = "s3cr3t-".repeat(14);
		OutboxEvent event = OutboxEvent.builder("orders")
			.aggregateId(1)
			.eventType("order-noted")
			.payload("x")
			.header("token", secret)
			.build();
		assertThatExceptionOfType(OutboxException.class)
			.isThrownBy(() -> transactions.executeWithoutResult((status) -> {
				jdbc.update("insert into orders values (1, 10)");
				outbox.publish(event);
			}))
			.withMessageContaining("'order-noted'")
			.withMessageContaining("is 106 bytes (payload 3, headers 103)")
			.withMessageContaining("limit of 100 bytes (outbox.max-payload-size)")
			.withMessageNotContaining("s3cr3t");
		assertThat(count("orders")).isZero();
		assertThat(count("outbox_event")).isZero();
		// the same event without the header fits
		transactions.executeWithoutResult((status) -> outbox.publish(OutboxEvent.of("orders", 1, "x")));
		assertThat(count("outbox_event")).isOne();
	}

	@Test
	void eventAtTheSizeLimitIsAcceptedAndOneByteMoreIsNot() {
		JdbcOutbox outbox = outbox().maxPayloadSize(20).build();
		// payload "\"ab\"" is 4 bytes, header "h" + "é" x 7 is 1 + 14 bytes: 19
		OutboxEvent fits = OutboxEvent.builder("orders")
			.aggregateId(1)
			.payload("ab")
			.header("h", "é".repeat(7))
			.build();
		OutboxEvent over = OutboxEvent.builder("orders")
			.aggregateId(1)
			.payload("ab")
			.header("hh", "é".repeat(8))
			.build();
		transactions.executeWithoutResult((status) -> outbox.publish(fits));
		assertThatExceptionOfType(OutboxException.class)
			.isThrownBy(() -> transactions.executeWithoutResult((status) -> outbox.publish(over)))
			.withMessageContaining("is 22 bytes (payload 4, headers 18)");
		assertThat(count("outbox_event")).isOne();
	}

	@Test
	void tooManyHeadersAreRejectedNamingTheProperty() {
		JdbcOutbox outbox = outbox().maxHeaders(2)
			.headerContributors(List.of((event) -> Map.of("traceparent", "00-abc-def-01")))
			.build();
		transactions.executeWithoutResult((status) -> outbox
			.publish(OutboxEvent.builder("orders").aggregateId(1).payload("x").header("tenant", "acme").build()));
		assertThatExceptionOfType(OutboxException.class)
			.isThrownBy(() -> transactions
				.executeWithoutResult((status) -> outbox.publishAll(List.of(OutboxEvent.of("orders", 2, "x"),
						OutboxEvent.builder("orders")
							.aggregateId(3)
							.eventType("order-noted")
							.payload("x")
							.header("tenant", "acme")
							.header("region", "eu")
							.build()))))
			.withMessageContaining("'order-noted'")
			.withMessageContaining("has 3 headers, over the limit of 2 (outbox.max-headers)");
		assertThat(count("outbox_event")).isOne();
	}

	@Test
	void oversizeHeaderIsRejectedNamingThePropertyAndNotTheValue() {
		JdbcOutbox outbox = outbox().maxHeaderSize(16).build();
		transactions.executeWithoutResult((status) -> outbox
			.publish(OutboxEvent.builder("orders").aggregateId(1).payload("x").header("h", "e".repeat(15)).build()));
		assertThatExceptionOfType(OutboxException.class)
			.isThrownBy(() -> transactions.executeWithoutResult((status) -> outbox
				.publish(OutboxEvent.builder("orders").aggregateId(2).payload("x").header("h", "é".repeat(8)).build())))
			.withMessageContaining("Header 'h'")
			.withMessageContaining("is 17 bytes (name and value), over the limit of 16 bytes (outbox.max-header-size)")
			.withMessageNotContaining("é");
		assertThat(count("outbox_event")).isOne();
	}

	@Test
	void defaultLimitsAcceptAnEventUpTo960KiBAndRejectKafkasDefaultRequestSize() {
		String header = "h".repeat(8 * 1024 - 1);
		byte[] largest = new byte[960 * 1024 - 8 * 1024];
		OutboxEvent accepted = OutboxEvent.builder("orders")
			.aggregateId(1)
			.payload(new RawPayload(largest))
			.header("a", header)
			.build();
		OutboxEvent rejected = OutboxEvent.builder("orders")
			.aggregateId(2)
			.payload(new RawPayload(new byte[1024 * 1024]))
			.build();
		JdbcOutbox raw = outbox().serializer(new RawSerializer()).build();
		transactions.executeWithoutResult((status) -> raw.publish(accepted));
		assertThatExceptionOfType(OutboxException.class)
			.isThrownBy(() -> transactions.executeWithoutResult((status) -> raw.publish(rejected)))
			.withMessageContaining("over the limit of " + (960 * 1024) + " bytes");
		assertThat(count("outbox_event")).isOne();
	}

	@Test
	void unserializablePayloadIsRejectedAndBusinessChangeRollsBack() {
		JdbcOutbox outbox = outbox().build();
		assertThatExceptionOfType(OutboxException.class)
			.isThrownBy(() -> transactions.executeWithoutResult((status) -> {
				jdbc.update("insert into orders values (1, 10)");
				outbox.publish(OutboxEvent.of("orders", 1, new Unserializable("s3cr3t")));
			}))
			.withMessageContaining("Could not serialize")
			.withMessageContaining("'Unserializable'")
			.withMessageContaining("'orders'")
			.withMessageNotContaining("s3cr3t");
		assertThat(count("orders")).isZero();
		assertThat(count("outbox_event")).isZero();
	}

	@Test
	void publishAllWritesEveryEventInListOrder() {
		JdbcOutbox outbox = outbox().build();
		List<OutboxEvent> events = List.of(OutboxEvent.of("orders", "k2", "e1"), OutboxEvent.of("orders", "k1", "e2"),
				OutboxEvent.builder("payments").aggregateId("k2").payload("e3").routingKey("rk").build(),
				OutboxEvent.builder("orders").aggregateId("k3").payload("e4").availableAt(NOW.plusSeconds(60)).build());
		List<UUID> ids = transactions.execute((status) -> outbox.publishAll(events));
		List<Map<String, Object>> rows = jdbc.queryForList(
				"select id, message_key, destination, routing_key, convert_from(payload, 'UTF8') as json, available_at, "
						+ "created_at, partition_no, content_type, headers::text as headers from outbox_event order by seq");
		assertThat(rows).extracting((row) -> row.get("id")).containsExactlyElementsOf(ids);
		assertThat(rows).extracting((row) -> row.get("json")).containsExactly("\"e1\"", "\"e2\"", "\"e3\"", "\"e4\"");
		assertThat(rows).extracting((row) -> row.get("message_key")).containsExactly("k2", "k1", "k2", "k3");
		assertThat(rows).extracting((row) -> row.get("destination"))
			.containsExactly("orders", "orders", "payments", "orders");
		assertThat(rows).extracting((row) -> row.get("routing_key")).containsExactly(null, null, "rk", null);
		assertThat(rows).extracting((row) -> instant(row.get("available_at")))
			.containsExactly(NOW, NOW, NOW, NOW.plusSeconds(60));
		assertThat(rows).extracting((row) -> instant(row.get("created_at"))).containsOnly(NOW);
		assertThat(rows).extracting((row) -> row.get("partition_no"))
			.containsExactly(Partitions.of("k2", 16), Partitions.of("k1", 16), Partitions.of("k2", 16),
					Partitions.of("k3", 16));
		assertThat(rows).extracting((row) -> row.get("content_type")).containsOnly("application/json");
		assertThat(rows).extracting((row) -> row.get("headers")).containsOnly("{}");
	}

	@Test
	void publishAllRecordsNothingWhenOnePayloadIsTooLarge() {
		JdbcOutbox outbox = outbox().maxPayloadSize(10).build();
		assertThatExceptionOfType(OutboxException.class)
			.isThrownBy(() -> transactions.executeWithoutResult((status) -> outbox.publishAll(List
				.of(OutboxEvent.of("orders", 1, "ok"), OutboxEvent.of("orders", 2, "far too large for ten bytes")))));
		assertThat(count("outbox_event")).isZero();
	}

	@Test
	void commitListenerIsCalledOnceAfterCommitAndNotOnRollback() {
		AtomicInteger calls = new AtomicInteger();
		List<Long> rowsSeenByListener = Collections.synchronizedList(new ArrayList<>());
		OutboxCommitListener failing = () -> {
			throw new IllegalStateException("listener failure must not escape");
		};
		OutboxCommitListener counting = () -> {
			calls.incrementAndGet();
			rowsSeenByListener.add(count("outbox_event"));
		};
		JdbcOutbox outbox = outbox().commitListeners(List.of(failing, counting)).build();
		transactions.executeWithoutResult((status) -> {
			outbox.publish(OutboxEvent.of("orders", 1, "a"));
			outbox.publishAll(List.of(OutboxEvent.of("orders", 2, "b"), OutboxEvent.of("orders", 3, "c")));
			assertThat(calls).hasValue(0);
		});
		assertThat(calls).hasValue(1);
		// the listener runs after the commit: another connection already sees the rows
		assertThat(rowsSeenByListener).containsExactly(3L);
		transactions.executeWithoutResult((status) -> {
			outbox.publish(OutboxEvent.of("orders", 4, "d"));
			status.setRollbackOnly();
		});
		transactions.executeWithoutResult((status) -> jdbc.update("insert into orders values (1, 10)"));
		assertThat(calls).hasValue(1);
		transactions.executeWithoutResult((status) -> outbox.publish(OutboxEvent.of("orders", 5, "e")));
		assertThat(calls).hasValue(2);
	}

	@Test
	void notificationIsReceivedByAnotherConnectionAfterCommitOnly() throws Exception {
		String channel = "outbox_test_" + UUID.randomUUID().toString().substring(0, 8);
		JdbcOutbox outbox = outbox().notifyChannel(channel).build();
		try (Connection listener = DriverManager.getConnection(database.url(), database.username(),
				database.password())) {
			try (Statement statement = listener.createStatement()) {
				statement.execute("listen " + channel);
			}
			PGConnection pg = listener.unwrap(PGConnection.class);
			transactions.executeWithoutResult((status) -> {
				outbox.publish(OutboxEvent.of("orders", 1, "a"));
				outbox.publish(OutboxEvent.of("orders", 2, "b"));
				assertThat(notifications(pg, 200)).isEmpty();
			});
			List<PGNotification> received = new ArrayList<>();
			await().atMost(Duration.ofSeconds(5)).until(() -> {
				received.addAll(notifications(pg, 100));
				return !received.isEmpty();
			});
			assertThat(received).singleElement().satisfies((notification) -> {
				assertThat(notification.getName()).isEqualTo(channel);
				assertThat(notification.getParameter()).isEmpty();
			});
			transactions.executeWithoutResult((status) -> {
				outbox.publishAll(List.of(OutboxEvent.of("orders", 3, "c"), OutboxEvent.of("orders", 4, "d")));
				status.setRollbackOnly();
			});
			transactions.executeWithoutResult((status) -> jdbc.update("insert into orders values (1, 10)"));
			assertThat(notifications(pg, 300)).isEmpty();
			transactions.executeWithoutResult((status) -> outbox
				.publishAll(List.of(OutboxEvent.of("orders", 5, "e"), OutboxEvent.of("orders", 6, "f"))));
			await().atMost(Duration.ofSeconds(5)).until(() -> notifications(pg, 100).size() == 1);
		}
	}

	@Test
	void transactionOfManyKeysLocksOutTheOtherWritersInsteadOfLockingEachKey() throws Exception {
		JdbcOutbox outbox = outbox().build();
		// far more keys than PostgreSQL's lock table holds (max_locks_per_transaction)
		List<OutboxEvent> bulk = IntStream.range(0, 20_000)
			.mapToObj((i) -> OutboxEvent.of("orders", "bulk-" + i, i))
			.toList();
		CountDownLatch published = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		AtomicLong advisoryLocksHeld = new AtomicLong(-1);
		CompletableFuture<Void> importing = CompletableFuture
			.runAsync(() -> transactions.executeWithoutResult((status) -> {
				outbox.publishAll(bulk.subList(0, bulk.size() - 10));
				outbox.publishAll(bulk.subList(bulk.size() - 10, bulk.size()));
				outbox.publish(OutboxEvent.of("orders", "bulk-last", "last"));
				advisoryLocksHeld.set(jdbc.queryForObject(
						"select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()",
						Long.class));
				published.countDown();
				waitFor(release);
			}));
		assertThat(published.await(60, TimeUnit.SECONDS)).isTrue();
		// the writers lock, exclusive, and no key lock: not twenty thousand
		assertThat(advisoryLocksHeld).hasValue(1);
		CompletableFuture<Void> other = CompletableFuture.runAsync(() -> transactions
			.executeWithoutResult((status) -> outbox.publish(OutboxEvent.of("orders", "single", "after"))));
		await().atMost(Duration.ofSeconds(10))
			.until(() -> jdbc.queryForObject(
					"select count(*) from pg_locks where locktype = 'advisory' " + "and not granted and objsubid = 1",
					Long.class) == 1);
		assertThat(other).isNotDone();
		release.countDown();
		CompletableFuture.allOf(importing, other).get(60, TimeUnit.SECONDS);
		assertThat(jdbc.queryForObject("select count(*) from outbox_event", Long.class)).isEqualTo(20_002);
		assertThat(jdbc.queryForObject("select seq > (select max(seq) from outbox_event where message_key <> 'single')"
				+ " from outbox_event where message_key = 'single'", Boolean.class))
			.isTrue();
	}

	/**
	 * Record {@code name} just before its transaction commits, while it still holds its
	 * key lock: recording after the commit returned would race with the transaction it
	 * unblocks.
	 */
	private static void recordCommit(List<String> commitOrder, String name) {
		TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
			@Override
			public void beforeCommit(boolean readOnly) {
				commitOrder.add(name);
			}
		});
	}

	private static void waitFor(CountDownLatch latch) {
		try {
			if (!latch.await(20, TimeUnit.SECONDS)) {
				throw new IllegalStateException("not released");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private static List<PGNotification> notifications(PGConnection connection, int timeoutMillis) {
		try {
			PGNotification[] received = connection.getNotifications(timeoutMillis);
			return (received != null) ? List.of(received) : List.of();
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static long count(String table) {
		return jdbc.queryForObject("select count(*) from " + table, Long.class);
	}

	private static Instant instant(Object timestamp) {
		if (timestamp instanceof java.sql.Timestamp sql) {
			return sql.toInstant();
		}
		return ((OffsetDateTime) timestamp).toInstant().truncatedTo(ChronoUnit.MICROS);
	}

	/** Bytes sent as they are, to size a payload exactly. */
	record RawPayload(byte[] bytes) {
	}

	static final class RawSerializer implements PayloadSerializer {

		@Override
		public byte[] serialize(Object payload) {
			return ((RawPayload) payload).bytes();
		}

		@Override
		public String contentType() {
			return "application/octet-stream";
		}

	}

	@OutboxEventType("order-placed")
	record OrderPlaced(long orderId, int total) {
	}

	static final class Unserializable {

		private final String secret;

		Unserializable(String secret) {
			this.secret = secret;
		}

		public String getSecret() {
			throw new IllegalStateException("cannot read " + this.secret);
		}

	}

}
