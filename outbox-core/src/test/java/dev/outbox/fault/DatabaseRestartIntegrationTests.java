package dev.outbox.fault;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxHeaders;
import dev.outbox.jdbc.JdbcOutbox;
import dev.outbox.kafka.KafkaOutboxSender;
import dev.outbox.relay.KafkaTestClient;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.relay.RelayFixture;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;
import dev.outbox.test.CpuLoad;
import dev.outbox.test.TcpProxy;
import dev.outbox.test.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The database restarted while the relay runs, against real PostgreSQL or MariaDB and
 * Kafka: a {@link TcpProxy} in front of the database is cut (every connection dropped,
 * in-flight transactions aborted, the relay's {@code LISTEN} lost, new connections
 * refused) and restored on the same port, for both the writers' and the relay's
 * connection pools. The server itself keeps running: other tests share it.
 * <p>
 * The outage starts right after Kafka confirmed a batch and before the relay marks it
 * done, and lasts until the relay's mark-done, poll, heartbeat and listener have each
 * failed to get a connection and its leases have run out (at least 18 s). Two writers
 * commit throughout (every fifth transaction rolled back; those caught by the outage
 * fail). Afterwards the relay listens again within 10 s, every event of a committed
 * transaction is on the topic, nothing of a rolled-back or failed one is, first
 * deliveries keep per-key order, the idempotent consumer has exactly one effect per
 * event, every row is {@code PUBLISHED} and the relay thread is alive. The relay polls
 * only every five minutes and nothing in this JVM wakes it on commit (the writers' outbox
 * has no commit listener), so only its re-established {@code LISTEN} explains the prompt
 * delivery of an event committed after the restore.
 * <p>
 * MariaDB has no notifications: there the writers' outbox wakes the relay in this JVM on
 * commit (the wake-up MariaDB users get), and the prompt delivery after the restore shows
 * that the relay fetches again on a wake-up, still without a poll.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
@ExtendWith(CpuLoad.Extension.class)
class DatabaseRestartIntegrationTests {

	private static final Pattern DATABASE_URL = Pattern
		.compile("jdbc:(postgresql|mariadb|mysql)://(\\[[^\\]]+\\]|[^/:?,\\[\\]]+)(?::(\\d+))?(/[^,]*)?");

	private static final Duration CONNECTION_TIMEOUT = Duration.ofMillis(250);

	private static final Duration SEND_TIMEOUT = Duration.ofSeconds(3);

	/**
	 * Long enough that a poll after the failed mark-done (about 5 s of retries) still
	 * finds the leases valid, short enough that they run out during the outage.
	 */
	private static final Duration LEASE_DURATION = Duration.ofSeconds(20);

	/**
	 * The shortest outage: long enough for the listener's reconnect backoff to reach its
	 * cap.
	 */
	private static final Duration MIN_OUTAGE = Duration.ofSeconds(18);

	/** How soon after the restore the relay must listen again. */
	private static final Duration LISTEN_AGAIN_WITHIN = Duration.ofSeconds(10);

	/** Never reached in this test: only wake-ups explain a delivery. */
	private static final Duration POLL_INTERVAL = Duration.ofMinutes(5);

	private static final int WRITERS = 2;

	private static final int KEYS_PER_WRITER = 6;

	@Parameter
	String product;

	private RelayFixture fixture;

	private TcpProxy proxy;

	private HikariDataSource writerPool;

	private HikariDataSource relayPool;

	private FailureRecordingDataSource relayDataSource;

	private KafkaTemplate<String, byte[]> template;

	private KafkaTestClient client;

	private String topic;

	private String channel;

	private JdbcOutbox outbox;

	private TransactionTemplate transactions;

	private @Nullable OutboxRelay relay;

	private final List<Writer> writers = new ArrayList<>();

	@BeforeEach
	void setUp() throws IOException {
		this.fixture = new RelayFixture(this.product);
		Matcher url = DATABASE_URL.matcher(this.fixture.database.url());
		assertThat(url.matches()).as("a single-host JDBC URL: %s", this.fixture.database.url()).isTrue();
		String host = url.group(2).replace("[", "").replace("]", "");
		int port = (url.group(3) != null) ? Integer.parseInt(url.group(3)) : postgres() ? 5432 : 3306;
		this.proxy = new TcpProxy(host, port);
		String proxied = "jdbc:" + url.group(1) + "://127.0.0.1:" + this.proxy.port()
				+ ((url.group(4) != null) ? url.group(4) : "/");
		this.writerPool = pool(proxied, "writers");
		this.relayPool = pool(proxied, "relay");
		this.relayDataSource = new FailureRecordingDataSource(this.relayPool);
		this.topic = "restart-" + UUID.randomUUID();
		this.channel = "restart_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
		this.template = KafkaTestClient.template(TestKafka.bootstrapServers(), SEND_TIMEOUT);
		this.client = new KafkaTestClient(TestKafka.bootstrapServers(), this.topic);
		// PostgreSQL: NOTIFY only, no commit listener wakes the relay in this JVM
		this.outbox = JdbcOutbox.builder(this.writerPool)
			.tables(this.fixture.tables)
			.notifyChannel(this.channel)
			.commitListeners(postgres() ? List.of() : List.of(this::wakeUpRelay))
			.build();
		this.transactions = new TransactionTemplate(new DataSourceTransactionManager(this.writerPool));
	}

	private boolean postgres() {
		return this.product.equals("postgresql");
	}

	private void wakeUpRelay() {
		OutboxRelay relay = this.relay;
		if (relay != null) {
			relay.wakeUp();
		}
	}

	/**
	 * The relay store's class, named as a caller that failed to get a connection.
	 */
	private String store() {
		return postgres() ? "JdbcRelayStore" : "MySqlRelayStore";
	}

	private HikariDataSource pool(String url, String name) {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(url);
		config.setUsername(this.fixture.database.username());
		config.setPassword(this.fixture.database.password());
		config.setMaximumPoolSize(4);
		config.setConnectionTimeout(CONNECTION_TIMEOUT.toMillis());
		config.setValidationTimeout(CONNECTION_TIMEOUT.toMillis());
		config.setPoolName(name + "-" + this.fixture.database.schema());
		return new HikariDataSource(config);
	}

	@AfterEach
	void tearDown() throws Exception {
		if (this.fixture == null) {
			return; // skipped before the fixture: a server this machine does not have
		}
		try {
			this.writers.forEach(Writer::stop);
			if (this.relay != null) {
				this.relay.stop();
			}
		}
		finally {
			this.client.close();
			this.template.getProducerFactory().reset();
			this.relayPool.close();
			this.writerPool.close();
			this.proxy.close();
			this.fixture.close();
		}
	}

	@Test
	void databaseRestartWhileRelayingLosesNothingAndTheRelayListensAgain() throws Exception {
		CuttingSender sender = new CuttingSender(new KafkaOutboxSender(this.template), this.proxy);
		Set<Thread> before = relayThreads();
		OutboxRelay relay = OutboxRelay.builder(this.relayDataSource, this.fixture.tables)
			.sender(sender)
			.notifyChannel(this.channel)
			.pollInterval(POLL_INTERVAL)
			.sendTimeout(SEND_TIMEOUT)
			.leaseDuration(LEASE_DURATION)
			.batchSize(20)
			.retention(Duration.ofHours(1))
			.backoff(Duration.ofMillis(50), 2.0, Duration.ofMillis(500), 0.0)
			.build();
		this.relay = relay;
		relay.start();
		Set<Thread> relayThreads = relayThreads();
		relayThreads.removeAll(before);
		if (postgres()) {
			assertThat(relayThreads).extracting(Thread::getName).contains("outbox-relay", "outbox-relay-listen");
			awaitListening(null, Duration.ofSeconds(30));
		}
		else {
			assertThat(relayThreads).extracting(Thread::getName)
				.contains("outbox-relay")
				.doesNotContain("outbox-relay-listen");
		}

		// writers commit throughout; events flow before the outage
		for (int w = 0; w < WRITERS; w++) {
			this.writers.add(new Writer(w));
		}
		this.writers.forEach(Writer::start);
		await().atMost(Duration.ofSeconds(30)).until(() -> this.client.poll().size() >= 40);

		// the database "restarts" right after Kafka confirmed the next batch, before the
		// relay marks it done
		sender.arm();
		assertThat(sender.cut.await(30, TimeUnit.SECONDS)).isTrue();
		Map<Writer, Integer> failuresAtCut = new HashMap<>();
		this.writers.forEach((writer) -> failuresAtCut.put(writer, writer.failures.get()));
		await().atMost(Duration.ofSeconds(15))
			.until(() -> this.relayDataSource.failedCallers().contains(store() + ".markPublished"));
		// stand-in for the poll timer: the relay polls during the outage (after giving
		// up marking the batch done) and fails
		relay.wakeUp();
		List<String> failing = new ArrayList<>(
				List.of(store() + ".markPublished", store() + ".fetch", "PartitionLeases.heartbeat"));
		if (postgres()) {
			failing.add("NotificationListener.run");
		}
		await().atMost(Duration.ofSeconds(40))
			.untilAsserted(() -> assertThat(this.relayDataSource.failedCallers()).containsAll(failing));
		await().atMost(Duration.ofSeconds(40)).until(() -> leasesLapsed(relay.instanceId()));
		this.writers.forEach((writer) -> assertThat(writer.failures.get()).isGreaterThan(failuresAtCut.get(writer)));
		long remaining = MIN_OUTAGE.toNanos() - (System.nanoTime() - sender.cutAt);
		if (remaining > 0) {
			// holds the outage, waits for no result
			TimeUnit.NANOSECONDS.sleep(remaining);
		}
		OffsetDateTime restoredAt = postgres() ? databaseNow() : null;
		this.proxy.restore();

		// the database is back: the relay listens again (PostgreSQL), the writers commit
		// a few more transactions, then everything committed is delivered
		if (postgres()) {
			awaitListening(restoredAt, LISTEN_AGAIN_WITHIN);
		}
		Map<Writer, Integer> committedAtListen = new HashMap<>();
		this.writers.forEach((writer) -> committedAtListen.put(writer, writer.committed.get()));
		await().atMost(Duration.ofSeconds(30))
			.until(() -> this.writers.stream().allMatch((w) -> w.committed.get() >= committedAtListen.get(w) + 5));
		this.writers.forEach(Writer::stop);
		for (Writer writer : this.writers) {
			assertThat(writer.failure.get()).isNull();
		}

		await().atMost(Duration.ofSeconds(15))
			.until(() -> this.fixture.count("status <> 'PUBLISHED'") == 0
					&& ids(this.client.poll()).keySet().containsAll(tableIds()));

		// only the re-established LISTEN (PostgreSQL) or the commit listener (MariaDB)
		// can wake the relay for this commit (well within the 5-minute poll, even on a
		// loaded machine)
		UUID afterRestore = this.transactions
			.execute((status) -> this.outbox.publish(OutboxEvent.of(this.topic, "after-restore", -1)));
		await().atMost(Duration.ofSeconds(15))
			.until(() -> ids(this.client.poll()).containsKey(String.valueOf(afterRestore)));

		assertThat(relay.isRunning()).isTrue();
		assertThat(relayThreads).allSatisfy((thread) -> assertThat(thread.isAlive()).as(thread.getName()).isTrue());
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.count("status <> 'PUBLISHED'") == 0);
		List<ConsumerRecord<String, byte[]>> records = this.client.poll();
		assertDeliveryGuarantees(records, sender.confirmedAtCut, afterRestore);
		List<String> delivered = records.stream()
			.map((r) -> KafkaTestClient.header(r, OutboxHeaders.MESSAGE_ID))
			.toList();
		assertThat(ExactlyOnceEffects.assertOnePerEvent(this.fixture, delivered, tableIds())).isPositive();
	}

	private void assertDeliveryGuarantees(List<ConsumerRecord<String, byte[]>> records, List<UUID> confirmedAtCut,
			UUID afterRestore) {
		Map<String, Map<String, Object>> rows = new LinkedHashMap<>();
		this.fixture.jdbc
			.queryForList("select id, message_key, payload, status from " + this.fixture.tables.qualifiedEventTable()
					+ " order by seq")
			.forEach((row) -> {
				row.put("id", String.valueOf(row.get("id")));
				row.put("payload", new String((byte[]) row.get("payload"), StandardCharsets.UTF_8));
				rows.put((String) row.get("id"), row);
			});
		assertThat(rows.values()).allSatisfy((row) -> assertThat(row.get("status")).isEqualTo("PUBLISHED"));
		Set<String> reportedCommitted = new HashSet<>();
		Set<String> rolledBack = new HashSet<>();
		Set<String> inDoubt = new HashSet<>();
		int failed = 0;
		for (Writer writer : this.writers) {
			for (Attempt attempt : writer.attempts) {
				switch (attempt.outcome()) {
					case COMMITTED -> reportedCommitted.addAll(attempt.ids());
					case ROLLED_BACK -> rolledBack.addAll(attempt.ids());
					case IN_DOUBT -> inDoubt.addAll(attempt.ids());
					case FAILED -> failed++;
				}
			}
		}
		assertThat(failed).as("transactions failed by the outage").isPositive();
		assertThat(rolledBack).isNotEmpty().doesNotContainAnyElementsOf(rows.keySet());
		// a commit whose reply was lost may have committed: the table tells
		Set<String> possiblyCommitted = new HashSet<>(reportedCommitted);
		possiblyCommitted.addAll(inDoubt);
		possiblyCommitted.add(afterRestore.toString());
		assertThat(rows.keySet()).as("events in the table")
			.containsAll(reportedCommitted)
			.contains(afterRestore.toString())
			.isSubsetOf(possiblyCommitted);
		Map<String, Long> copies = ids(records);
		assertThat(copies.keySet()).as("delivered = committed").containsExactlyInAnyOrderElementsOf(rows.keySet());
		assertThat(confirmedAtCut).isNotEmpty()
			.allSatisfy((id) -> assertThat(copies.get(id.toString()))
				.as("copies of %s, confirmed when the database went away", id)
				.isGreaterThanOrEqualTo(2));
		Map<String, List<String>> expectedPerKey = new LinkedHashMap<>();
		rows.values()
			.forEach((row) -> expectedPerKey.computeIfAbsent((String) row.get("message_key"), (k) -> new ArrayList<>())
				.add((String) row.get("payload")));
		Set<String> seen = new HashSet<>();
		Map<String, List<String>> firstDeliveries = new LinkedHashMap<>();
		for (ConsumerRecord<String, byte[]> record : records) {
			String id = KafkaTestClient.header(record, OutboxHeaders.MESSAGE_ID);
			if (seen.add(id)) {
				assertThat(record.key()).isEqualTo(rows.get(id).get("message_key"));
				firstDeliveries.computeIfAbsent(record.key(), (k) -> new ArrayList<>())
					.add(KafkaTestClient.value(record));
			}
		}
		assertThat(firstDeliveries).isEqualTo(expectedPerKey);
		for (Writer writer : this.writers) {
			for (String key : writer.keys) {
				List<Integer> sequences = expectedPerKey.get(key).stream().map(Integer::valueOf).toList();
				assertThat(sequences).as(key).isSorted().doesNotHaveDuplicates();
			}
		}
	}

	/**
	 * Wait until the relay's listener session (started after {@code since}, if given) has
	 * run {@code LISTEN} on the channel, as PostgreSQL itself reports (PostgreSQL only).
	 */
	private void awaitListening(@Nullable OffsetDateTime since, Duration within) {
		await().atMost(within).until(() -> {
			Integer sessions = this.fixture.jdbc.queryForObject(
					"select count(*) from pg_stat_activity where query = ? and backend_start > ?", Integer.class,
					"listen " + this.channel, (since != null) ? since : OffsetDateTime.now().minusYears(1));
			return sessions != null && sessions > 0;
		});
	}

	private boolean leasesLapsed(String instanceId) {
		Integer valid = this.fixture.jdbc.queryForObject(
				"select count(*) from " + this.fixture.tables.qualifiedLeaseTable()
						+ " where owner = ? and lease_until > " + this.fixture.nowPlusSeconds(0),
				Integer.class, instanceId);
		Integer owned = this.fixture.jdbc.queryForObject(
				"select count(*) from " + this.fixture.tables.qualifiedLeaseTable() + " where owner = ?", Integer.class,
				instanceId);
		return valid != null && valid == 0 && owned != null && owned > 0;
	}

	private OffsetDateTime databaseNow() {
		return this.fixture.jdbc.queryForObject("select now()", OffsetDateTime.class);
	}

	private Set<String> tableIds() {
		return this.fixture.jdbc
			.queryForList("select id from " + this.fixture.tables.qualifiedEventTable(), Object.class)
			.stream()
			.map(String::valueOf)
			.collect(Collectors.toCollection(HashSet::new));
	}

	private static Map<String, Long> ids(List<ConsumerRecord<String, byte[]>> records) {
		return records.stream()
			.collect(Collectors.groupingBy((r) -> KafkaTestClient.header(r, OutboxHeaders.MESSAGE_ID),
					Collectors.counting()));
	}

	private static Set<Thread> relayThreads() {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter((thread) -> thread.getName().startsWith("outbox-relay"))
			.collect(Collectors.toCollection(HashSet::new));
	}

	private enum Outcome {

		/** The commit returned normally. */
		COMMITTED,

		/** Rolled back on purpose. */
		ROLLED_BACK,

		/** Failed before the commit was attempted: nothing was committed. */
		FAILED,

		/** The commit itself failed: committed or not, the table tells. */
		IN_DOUBT

	}

	private record Attempt(List<String> ids, Outcome outcome) {
	}

	/**
	 * Commits transactions of two events for two of its own keys (every fifth rolled
	 * back) until stopped; each key's payload counts its attempts, so committed events of
	 * a key carry increasing numbers.
	 */
	private final class Writer implements Runnable {

		private final List<String> keys = new ArrayList<>();

		private final Map<String, Integer> next = new HashMap<>();

		private final List<Attempt> attempts = new CopyOnWriteArrayList<>();

		private final AtomicInteger committed = new AtomicInteger();

		private final AtomicInteger failures = new AtomicInteger();

		private final AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();

		private final Thread thread;

		private volatile boolean running = true;

		Writer(int index) {
			for (int k = 0; k < KEYS_PER_WRITER; k++) {
				this.keys.add("writer-" + index + "-key-" + k);
			}
			this.thread = new Thread(this, "restart-writer-" + index);
		}

		void start() {
			this.thread.start();
		}

		void stop() {
			this.running = false;
			try {
				this.thread.join(30_000);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			assertThat(this.thread.isAlive()).isFalse();
		}

		@Override
		public void run() {
			try {
				int key = 0;
				for (int t = 0; this.running; t++) {
					boolean rollback = (t % 5 == 4);
					List<OutboxEvent> events = new ArrayList<>();
					for (int i = 0; i < 2; i++) {
						String name = this.keys.get(key);
						int sequence = this.next.merge(name, 1, Integer::sum) - 1;
						events.add(OutboxEvent.of(DatabaseRestartIntegrationTests.this.topic, name, sequence));
						key = (key + 1) % this.keys.size();
					}
					AtomicReference<List<UUID>> written = new AtomicReference<>(List.of());
					AtomicBoolean committing = new AtomicBoolean();
					Outcome outcome;
					try {
						DatabaseRestartIntegrationTests.this.transactions.executeWithoutResult((status) -> {
							written.set(DatabaseRestartIntegrationTests.this.outbox.publishAll(events));
							if (rollback) {
								status.setRollbackOnly();
							}
							committing.set(true);
						});
						outcome = rollback ? Outcome.ROLLED_BACK : Outcome.COMMITTED;
					}
					catch (RuntimeException ex) {
						outcome = rollback ? Outcome.ROLLED_BACK : committing.get() ? Outcome.IN_DOUBT : Outcome.FAILED;
					}
					this.attempts.add(new Attempt(written.get().stream().map(UUID::toString).toList(), outcome));
					if (outcome == Outcome.COMMITTED) {
						this.committed.incrementAndGet();
					}
					else if (outcome != Outcome.ROLLED_BACK) {
						this.failures.incrementAndGet();
					}
					LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
				}
			}
			catch (Throwable ex) {
				this.failure.set(ex);
			}
		}

	}

	/**
	 * The real Kafka sender; once armed, cuts the database proxy as soon as Kafka has
	 * confirmed the next batch, before the relay can mark it done.
	 */
	private static final class CuttingSender implements OutboxSender {

		private final OutboxSender delegate;

		private final TcpProxy proxy;

		private final AtomicBoolean armed = new AtomicBoolean();

		final CountDownLatch cut = new CountDownLatch(1);

		volatile long cutAt;

		final List<UUID> confirmedAtCut = new CopyOnWriteArrayList<>();

		CuttingSender(OutboxSender delegate, TcpProxy proxy) {
			this.delegate = delegate;
			this.proxy = proxy;
		}

		void arm() {
			this.armed.set(true);
		}

		@Override
		public String name() {
			return this.delegate.name();
		}

		@Override
		public CompletableFuture<Void> send(OutboxMessage message) {
			return this.delegate.send(message);
		}

		@Override
		public List<CompletableFuture<Void>> sendAll(List<OutboxMessage> messages) {
			List<CompletableFuture<Void>> futures = this.delegate.sendAll(messages);
			if (this.armed.compareAndSet(true, false)) {
				try {
					CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
					this.proxy.cut();
					this.cutAt = System.nanoTime();
					messages.forEach((message) -> this.confirmedAtCut.add(message.id()));
				}
				catch (Exception ex) {
					throw new IllegalStateException("Could not cut the database after a confirmed batch", ex);
				}
				finally {
					this.cut.countDown();
				}
			}
			return futures;
		}

	}

	/**
	 * The relay's data source: records which relay method failed to get a connection.
	 */
	private static final class FailureRecordingDataSource extends DelegatingDataSource {

		private final Set<String> failedCallers = ConcurrentHashMap.newKeySet();

		FailureRecordingDataSource(HikariDataSource delegate) {
			super(delegate);
		}

		Set<String> failedCallers() {
			return this.failedCallers;
		}

		@Override
		public Connection getConnection() throws SQLException {
			try {
				return super.getConnection();
			}
			catch (SQLException | RuntimeException ex) {
				this.failedCallers.add(caller());
				throw ex;
			}
		}

		private static String caller() {
			return StackWalker.getInstance()
				.walk((frames) -> frames
					.filter((frame) -> frame.getClassName().startsWith("dev.outbox.relay.")
							&& !frame.getClassName().endsWith("LeaseStatements")
							&& !frame.getMethodName().startsWith("lambda$") && !frame.getMethodName().equals("pinned")
							&& !frame.getClassName().endsWith("MySqlTransactions"))
					.findFirst()
					.map((frame) -> frame.getClassName().substring(frame.getClassName().lastIndexOf('.') + 1) + "."
							+ frame.getMethodName())
					.orElse("unknown"));
		}

	}

}
