package dev.outbox.jdbc;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxException;
import dev.outbox.spi.Partitions;
import dev.outbox.test.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The write path's promises on every database, with the shipped migrations of each: an
 * event commits or rolls back with the business change, is refused outside a transaction,
 * and a key's rows are stored in the order their transactions committed. The
 * PostgreSQL-only details (advisory locks, notifications, the writers lock) are in
 * {@link JdbcOutboxIntegrationTests}.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
class OutboxWritePathIntegrationTests {

	private static final Instant NOW = Instant.parse("2030-01-02T03:04:05.123456Z");

	private static TestDatabase database;

	private static HikariDataSource dataSource;

	private static JdbcTemplate jdbc;

	private static TransactionTemplate transactions;

	@Parameter
	String product;

	private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

	@BeforeParameterizedClassInvocation
	static void createDatabase(String product) {
		database = TestDatabase.create(product);
		dataSource = database.dataSource();
		database.migrateOutboxSchema(dataSource);
		jdbc = new JdbcTemplate(dataSource);
		jdbc.execute("create table orders (id bigint primary key, total integer not null)");
		transactions = new TransactionTemplate(new JdbcTransactionManager(dataSource));
	}

	@AfterParameterizedClassInvocation
	static void dropDatabase() {
		if (database == null) {
			return; // skipped: a server this machine does not have
		}
		database.drop(dataSource);
		dataSource.close();
		database = null;
	}

	@BeforeEach
	void clearTables() {
		jdbc.execute("delete from outbox_event");
		jdbc.execute("delete from orders");
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
			.payload(Map.of("orderId", 42))
			.header("tenant", "acme")
			.availableAt(later)
			.build()));
		Map<String, Object> row = jdbc.queryForMap("select * from outbox_event");
		assertThat(String.valueOf(row.get("id"))).isEqualTo(id.toString());
		assertThat(row.get("aggregate_type")).isEqualTo("order");
		assertThat(row.get("aggregate_id")).isEqualTo("42");
		assertThat(row.get("event_type")).isEqualTo("order-placed");
		assertThat(row.get("destination")).isEqualTo("order-events");
		assertThat(row.get("routing_key")).isEqualTo("orders.placed");
		assertThat(row.get("message_key")).isEqualTo("customer-7");
		assertThat(row.get("partition_no")).isEqualTo(Partitions.of("customer-7", 7));
		assertThat(new String((byte[]) row.get("payload"), StandardCharsets.UTF_8)).isEqualTo("{\"orderId\":42}");
		assertThat(row.get("content_type")).isEqualTo("application/json");
		assertThat(String.valueOf(row.get("headers")).replace(" ", "")).isEqualTo("{\"tenant\":\"acme\"}");
		assertThat(row.get("status")).isEqualTo("PENDING");
		assertThat(row.get("attempts")).isEqualTo(0);
		assertThat(row.get("last_error")).isNull();
		assertThat(row.get("published_at")).isNull();
		assertThat(instant("created_at")).isEqualTo(NOW);
		assertThat(instant("available_at")).isEqualTo(later);
	}

	@Test
	void rollbackWritesNothing() {
		JdbcOutbox outbox = outbox().build();
		transactions.executeWithoutResult((status) -> {
			jdbc.update("insert into orders values (1, 10)");
			outbox.publish(OutboxEvent.of("orders", 1, "placed"));
			outbox.publishAll(List.of(OutboxEvent.of("orders", 2, "a"), OutboxEvent.of("orders", 3, "b")));
			status.setRollbackOnly();
		});
		assertThat(count("outbox_event")).isZero();
		assertThat(count("orders")).isZero();
	}

	@Test
	void businessChangeAndEventCommitTogether() {
		JdbcOutbox outbox = outbox().build();
		transactions.executeWithoutResult((status) -> {
			jdbc.update("insert into orders values (1, 10)");
			outbox.publish(OutboxEvent.of("orders", 1, "placed"));
		});
		assertThat(count("outbox_event")).isOne();
		assertThat(count("orders")).isOne();
	}

	@Test
	void publishWithoutTransactionIsRejected() {
		JdbcOutbox outbox = outbox().build();
		assertThatExceptionOfType(OutboxException.class)
			.isThrownBy(() -> outbox.publish(OutboxEvent.of("orders", 1, "placed")))
			.withMessageContaining("No transaction is active")
			.withMessageContaining("@Transactional")
			.withMessageContaining("TransactionTemplate");
		TransactionTemplate supports = new TransactionTemplate(transactions.getTransactionManager());
		supports.setPropagationBehavior(TransactionDefinition.PROPAGATION_SUPPORTS);
		assertThatExceptionOfType(OutboxException.class)
			.isThrownBy(() -> supports
				.executeWithoutResult((status) -> outbox.publishAll(List.of(OutboxEvent.of("orders", 1, "placed")))))
			.withMessageContaining("No transaction is active");
		assertThat(count("outbox_event")).isZero();
	}

	@Test
	void publishAllWritesEveryEventInListOrder() {
		JdbcOutbox outbox = outbox().build();
		List<OutboxEvent> events = List.of(OutboxEvent.of("orders", "k2", "e1"), OutboxEvent.of("orders", "k1", "e2"),
				OutboxEvent.builder("payments").aggregateId("k2").payload("e3").routingKey("rk").build(),
				OutboxEvent.builder("orders").aggregateId("k3").payload("e4").availableAt(NOW.plusSeconds(60)).build());
		List<UUID> ids = transactions.execute((status) -> outbox.publishAll(events));
		List<Map<String, Object>> rows = jdbc
			.queryForList("select id, message_key, routing_key, payload from outbox_event order by seq");
		assertThat(rows).extracting((row) -> String.valueOf(row.get("id")))
			.containsExactlyElementsOf(ids.stream().map(UUID::toString).toList());
		assertThat(rows).extracting((row) -> new String((byte[]) row.get("payload"), StandardCharsets.UTF_8))
			.containsExactly("\"e1\"", "\"e2\"", "\"e3\"", "\"e4\"");
		assertThat(rows).extracting((row) -> row.get("message_key")).containsExactly("k2", "k1", "k2", "k3");
		assertThat(rows).extracting((row) -> row.get("routing_key")).containsExactly(null, null, "rk", null);
	}

	@Test
	void messageKeysAndIdsAreCaseSensitive() {
		JdbcOutbox outbox = outbox().build();
		transactions.executeWithoutResult((status) -> outbox
			.publishAll(List.of(OutboxEvent.of("orders", "Order-1", "a"), OutboxEvent.of("orders", "order-1", "b"))));
		assertThat(jdbc.queryForObject("select count(*) from outbox_event where message_key = 'order-1'", Long.class))
			.isOne();
	}

	@Test
	void transactionsPublishingTheSameKeyAreSerializedInCommitOrder() throws Exception {
		JdbcOutbox outbox = outbox().build();
		List<String> commitOrder = Collections.synchronizedList(new ArrayList<>());
		CountDownLatch firstPublished = new CountDownLatch(1);
		CountDownLatch releaseFirst = new CountDownLatch(1);
		CompletableFuture<Void> first = CompletableFuture.runAsync(() -> {
			transactions.executeWithoutResult((status) -> {
				outbox.publish(OutboxEvent.of("orders", "k", "first"));
				recordCommit(commitOrder, "first");
				firstPublished.countDown();
				waitFor(releaseFirst);
			});
		});
		assertThat(firstPublished.await(10, TimeUnit.SECONDS)).isTrue();
		CompletableFuture<Void> second = CompletableFuture.runAsync(() -> {
			transactions.executeWithoutResult((status) -> {
				outbox.publish(OutboxEvent.of("orders", "k", "second"));
				recordCommit(commitOrder, "second");
			});
		});
		// the second transaction waits for the first one's lock on key k...
		await().atMost(Duration.ofSeconds(10)).until(() -> waitingForLock("k") == 1);
		assertThat(second).isNotDone();
		// ...while another key is not held up
		transactions.executeWithoutResult((status) -> {
			outbox.publish(OutboxEvent.of("orders", "other", "third"));
			recordCommit(commitOrder, "third");
		});
		assertThat(second).isNotDone();
		releaseFirst.countDown();
		CompletableFuture.allOf(first, second).get(10, TimeUnit.SECONDS);
		assertThat(commitOrder).containsExactly("third", "first", "second");
		assertThat(payloadsOfKey("k")).containsExactly("\"first\"", "\"second\"");
	}

	@Test
	void publishAllWaitsForTheLocksOfItsKeys() throws Exception {
		JdbcOutbox outbox = outbox().build();
		CountDownLatch firstPublished = new CountDownLatch(1);
		CountDownLatch releaseFirst = new CountDownLatch(1);
		CompletableFuture<Void> first = CompletableFuture.runAsync(() -> transactions.executeWithoutResult((status) -> {
			outbox.publish(OutboxEvent.of("orders", "k2", "first"));
			firstPublished.countDown();
			waitFor(releaseFirst);
		}));
		assertThat(firstPublished.await(10, TimeUnit.SECONDS)).isTrue();
		CompletableFuture<Void> second = CompletableFuture.runAsync(() -> transactions
			.executeWithoutResult((status) -> outbox.publishAll(List.of(OutboxEvent.of("orders", "k1", "a"),
					OutboxEvent.of("orders", "k2", "b"), OutboxEvent.of("orders", "k3", "c")))));
		await().atMost(Duration.ofSeconds(10)).until(() -> waitingForLock("k2") == 1);
		assertThat(second).isNotDone();
		releaseFirst.countDown();
		CompletableFuture.allOf(first, second).get(10, TimeUnit.SECONDS);
		assertThat(payloadsOfKey("k2")).containsExactly("\"first\"", "\"b\"");
	}

	@Test
	void concurrentWritersStoreEachKeysRowsInCommitOrder() throws Exception {
		JdbcOutbox outbox = outbox().build();
		List<String> keys = List.of("a", "b", "c");
		Map<String, List<String>> commitOrder = new HashMap<>();
		keys.forEach((key) -> commitOrder.put(key, Collections.synchronizedList(new ArrayList<>())));
		List<CompletableFuture<Void>> writers = new ArrayList<>();
		for (int w = 0; w < 6; w++) {
			int writer = w;
			writers.add(CompletableFuture.runAsync(() -> {
				for (int t = 0; t < 15; t++) {
					String name = "w" + writer + "-" + t;
					String key = keys.get((writer + t) % keys.size());
					boolean twice = t % 2 == 0;
					transactions.executeWithoutResult((status) -> {
						outbox.publish(OutboxEvent.of("orders", key, name));
						if (twice) {
							outbox.publishAll(List.of(OutboxEvent.of("orders", key, name + "+")));
						}
						// while the key's lock is held: the order of the commits of its
						// rows
						recordCommit(commitOrder.get(key), name);
					});
				}
			}));
		}
		CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
		for (String key : keys) {
			List<String> stored = payloadsOfKey(key).stream()
				.map((json) -> json.substring(1, json.length() - 1))
				.filter((name) -> !name.endsWith("+"))
				.toList();
			assertThat(stored).as("rows of key %s by seq", key).containsExactlyElementsOf(commitOrder.get(key));
		}
	}

	@Test
	void concurrentTransactionsPublishingManyKeysCallByCallDoNotDeadlock() throws Exception {
		JdbcOutbox outbox = outbox().build();
		List<CompletableFuture<Void>> writers = new ArrayList<>();
		for (int w = 0; w < 4; w++) {
			String writer = "w" + w;
			writers.add(CompletableFuture.runAsync(() -> {
				for (int t = 0; t < 5; t++) {
					String transaction = writer + "-t" + t;
					transactions.executeWithoutResult((status) -> {
						for (int k = 0; k < 40; k++) {
							outbox.publish(OutboxEvent.of("orders", transaction + "-k" + k, k));
						}
					});
				}
			}));
		}
		CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
		assertThat(count("outbox_event")).isEqualTo(4 * 5 * 40);
	}

	private boolean postgres() {
		return "postgresql".equals(this.product);
	}

	/**
	 * Transactions waiting for the lock of a key: on PostgreSQL its advisory lock, on
	 * MariaDB any row lock in this test's database.
	 */
	private long waitingForLock(String key) {
		if (postgres()) {
			// two-key advisory locks show the second key as objid (objsubid 2)
			return jdbc.queryForObject(
					"select count(*) from pg_locks where locktype = 'advisory' and not granted "
							+ "and objsubid = 2 and cast(objid as bigint) = ? "
							+ "and database = (select oid from pg_database where datname = current_database())",
					Long.class, Integer.toUnsignedLong(key.hashCode()));
		}
		return jdbc.queryForObject("select count(*) from information_schema.innodb_trx t join "
				+ "information_schema.processlist p on p.id = t.trx_mysql_thread_id "
				+ "where t.trx_state = 'LOCK WAIT' and p.db = database()", Long.class);
	}

	private List<String> payloadsOfKey(String key) {
		return jdbc
			.queryForList("select payload from outbox_event where message_key = ? order by seq", byte[].class, key)
			.stream()
			.map((bytes) -> new String(bytes, StandardCharsets.UTF_8))
			.toList();
	}

	private Instant instant(String column) {
		if (postgres()) {
			return jdbc.queryForObject("select " + column + " from outbox_event", OffsetDateTime.class).toInstant();
		}
		// datetime(6) in UTC
		return jdbc.queryForObject("select " + column + " from outbox_event", LocalDateTime.class)
			.toInstant(ZoneOffset.UTC);
	}

	private static long count(String table) {
		return jdbc.queryForObject("select count(*) from " + table, Long.class);
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

}
