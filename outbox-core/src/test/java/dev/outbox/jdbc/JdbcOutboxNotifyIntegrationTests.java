package dev.outbox.jdbc;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import java.util.stream.IntStream;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxEvent;
import dev.outbox.test.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
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
import static org.awaitility.Awaitility.await;

/**
 * The notification that wakes relays in other processes, against a real PostgreSQL: sent
 * after the commit by another session (so the business transaction takes no cluster-wide
 * notify lock), never for a rollback, coalesced over bursts of commits, and never failing
 * the business call.
 */
class JdbcOutboxNotifyIntegrationTests {

	private static TestPostgres.Database database;

	private static HikariDataSource dataSource;

	private static JdbcTemplate jdbc;

	private static TransactionTemplate transactions;

	private final List<JdbcOutbox> outboxes = new ArrayList<>();

	private String channel;

	private Connection listener;

	@BeforeAll
	static void createSchema() {
		database = TestPostgres.newSchema();
		dataSource = database.dataSource();
		database.migrateOutboxSchema(dataSource);
		jdbc = new JdbcTemplate(dataSource);
		jdbc.execute("create table orders (id bigint primary key)");
		transactions = new TransactionTemplate(new JdbcTransactionManager(dataSource));
	}

	@AfterAll
	static void dropSchema() {
		database.drop(dataSource);
		dataSource.close();
	}

	@BeforeEach
	void listen() throws SQLException {
		jdbc.execute("truncate outbox_event, orders");
		// a channel of this test's own, so that no other run on the server reaches it
		this.channel = "outbox_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
		this.listener = DriverManager.getConnection(database.url(), database.username(), database.password());
		try (Statement statement = this.listener.createStatement()) {
			statement.execute("listen " + this.channel);
		}
	}

	@AfterEach
	void close() throws SQLException {
		this.outboxes.forEach(JdbcOutbox::close);
		this.listener.close();
	}

	private JdbcOutbox outbox(DataSource dataSource) {
		JdbcOutbox outbox = JdbcOutbox.builder(dataSource).notifyChannel(this.channel).build();
		this.outboxes.add(outbox);
		return outbox;
	}

	@Test
	void notificationIsSentAfterTheCommitBySessionOtherThanTheBusinessTransaction() {
		JdbcOutbox outbox = outbox(dataSource);
		List<PGNotification> receivedAfterCommit = new ArrayList<>();
		int businessSession = transactions.execute((status) -> {
			outbox.publish(OutboxEvent.of("orders", 1, "a"));
			jdbc.update("insert into orders values (1)");
			assertThat(notifications(200)).isEmpty();
			// runs after the outbox's own synchronization, while this thread still holds
			// the business connection, so the notifier cannot borrow it
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

				@Override
				public void afterCommit() {
					receivedAfterCommit.addAll(awaitNotifications(1, Duration.ofSeconds(5)));
				}

			});
			return jdbc.queryForObject("select pg_backend_pid()", Integer.class);
		});
		assertThat(receivedAfterCommit).singleElement().satisfies((notification) -> {
			assertThat(notification.getName()).isEqualTo(this.channel);
			assertThat(notification.getParameter()).isEmpty();
			// a NOTIFY in the business transaction would come from its session, and make
			// its commit wait for the cluster-wide notify lock
			assertThat(notification.getPID()).isNotEqualTo(businessSession);
		});
	}

	@Test
	void rolledBackTransactionSendsNoNotification() {
		JdbcOutbox outbox = outbox(dataSource);
		transactions.executeWithoutResult((status) -> {
			outbox.publish(OutboxEvent.of("orders", 1, "a"));
			status.setRollbackOnly();
		});
		transactions.executeWithoutResult((status) -> jdbc.update("insert into orders values (2)"));
		assertThat(notifications(500)).isEmpty();
		// the next commit is notified: the rollback left nothing pending
		transactions.executeWithoutResult((status) -> outbox.publish(OutboxEvent.of("orders", 3, "c")));
		assertThat(awaitNotifications(1, Duration.ofSeconds(5))).hasSize(1);
	}

	@Test
	void burstOfConcurrentCommitsSharesFewNotifications() throws Exception {
		JdbcOutbox outbox = outbox(dataSource);
		int writers = 8;
		int perWriter = 100;
		AtomicLong ids = new AtomicLong();
		List<PGNotification> received = new CopyOnWriteArrayList<>();
		CompletableFuture<Void> collecting = new CompletableFuture<>();
		Thread collector = new Thread(() -> {
			while (!collecting.isDone()) {
				received.addAll(notifications(50));
			}
		});
		collector.start();
		long start = System.nanoTime();
		List<CompletableFuture<Void>> burst = IntStream.range(0, writers)
			.mapToObj((w) -> CompletableFuture.runAsync(() -> {
				for (int i = 0; i < perWriter; i++) {
					long id = ids.incrementAndGet();
					transactions.executeWithoutResult((status) -> {
						jdbc.update("insert into orders values (?)", id);
						outbox.publish(OutboxEvent.of("orders", id, "burst"));
					});
				}
			}, runnable -> new Thread(runnable).start()))
			.toList();
		CompletableFuture.allOf(burst.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
		long burstMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
		// the notification still due after the last commit arrives within the interval
		await().pollDelay(Duration.ofMillis(300)).until(() -> true);
		collecting.complete(null);
		collector.join(5000);
		int commits = writers * perWriter;
		long intervalMillis = CommitNotifier.DEFAULT_INTERVAL.toMillis();
		System.out.printf("%d notifications for %d commits in %d ms%n", received.size(), commits, burstMillis);
		assertThat(received).as("notifications for %d commits in %d ms", commits, burstMillis)
			.isNotEmpty()
			.hasSizeLessThanOrEqualTo((int) (burstMillis / intervalMillis) + 2)
			.hasSizeLessThan(commits / 2);
		assertThat(received).extracting(PGNotification::getPID).containsOnly(received.get(0).getPID());
	}

	@Test
	void requestsWithinTheIntervalShareOneNotification() throws Exception {
		// an interval long enough that the requests below, on threads of their own, all
		// come within it on a loaded machine too
		CommitNotifier notifier = new CommitNotifier(dataSource, this.channel, Duration.ofSeconds(2));
		try {
			notifier.request();
			assertThat(awaitNotifications(1, Duration.ofSeconds(5))).hasSize(1);
			// 1000 requests from 4 threads right after a notification: one more, not 1000
			CountDownLatch go = new CountDownLatch(1);
			List<CompletableFuture<Void>> requests = IntStream.range(0, 4)
				.mapToObj((t) -> CompletableFuture.runAsync(() -> {
					awaitLatch(go);
					for (int i = 0; i < 250; i++) {
						notifier.request();
					}
				}, runnable -> new Thread(runnable).start()))
				.toList();
			go.countDown();
			CompletableFuture.allOf(requests.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
			assertThat(awaitNotifications(1, Duration.ofSeconds(10))).hasSize(1);
			assertThat(notifications(2500)).isEmpty();
		}
		finally {
			notifier.close(Duration.ofSeconds(2));
		}
	}

	@Test
	void failingNotificationNeverFailsTheBusinessTransaction() {
		AtomicInteger refused = new AtomicInteger();
		DataSource noNotifierConnections = new RefusingDataSource(dataSource, refused);
		AtomicInteger committed = new AtomicInteger();
		JdbcOutbox outbox = JdbcOutbox.builder(noNotifierConnections)
			.notifyChannel(this.channel)
			.commitListeners(List.of(committed::incrementAndGet))
			.build();
		this.outboxes.add(outbox);
		TransactionTemplate refusingTransactions = new TransactionTemplate(
				new JdbcTransactionManager(noNotifierConnections));
		for (int i = 1; i <= 3; i++) {
			long id = i;
			refusingTransactions.executeWithoutResult((status) -> outbox.publish(OutboxEvent.of("orders", id, "x")));
		}
		assertThat(committed).hasValue(3);
		assertThat(jdbc.queryForObject("select count(*) from outbox_event where payload = '\"x\"'", Integer.class))
			.isEqualTo(3);
		await().atMost(Duration.ofSeconds(5)).until(() -> refused.get() >= 2);
		assertThat(notifications(200)).isEmpty();
	}

	private List<PGNotification> awaitNotifications(int count, Duration within) {
		List<PGNotification> received = new ArrayList<>();
		await().atMost(within).until(() -> {
			received.addAll(notifications(100));
			return received.size() >= count;
		});
		return received;
	}

	private List<PGNotification> notifications(int timeoutMillis) {
		try {
			PGNotification[] received = this.listener.unwrap(PGConnection.class).getNotifications(timeoutMillis);
			return (received != null) ? List.of(received) : List.of();
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static void awaitLatch(CountDownLatch latch) {
		try {
			latch.await();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Lends connections to every thread but the notifier's, as a pool that is exhausted
	 * or a database that refuses the notifier's session would.
	 */
	private record RefusingDataSource(DataSource delegate, AtomicInteger refused) implements DataSource {

		@Override
		public Connection getConnection() throws SQLException {
			if (Thread.currentThread().getName().equals("outbox-notify")) {
				this.refused.incrementAndGet();
				throw new SQLException("connection refused (test)");
			}
			return this.delegate.getConnection();
		}

		@Override
		public Connection getConnection(String username, String password) throws SQLException {
			throw new SQLFeatureNotSupportedException();
		}

		@Override
		public PrintWriter getLogWriter() {
			return null;
		}

		@Override
		public void setLogWriter(PrintWriter out) {
		}

		@Override
		public void setLoginTimeout(int seconds) {
		}

		@Override
		public int getLoginTimeout() {
			return 0;
		}

		@Override
		public Logger getParentLogger() throws SQLFeatureNotSupportedException {
			throw new SQLFeatureNotSupportedException();
		}

		@Override
		public <T> T unwrap(Class<T> iface) throws SQLException {
			throw new SQLException("not a wrapper");
		}

		@Override
		public boolean isWrapperFor(Class<?> iface) {
			return false;
		}

	}

}
