package dev.outbox.benchmarks;

import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import javax.sql.DataSource;

import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;
import dev.outbox.test.TestPostgres;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * How the write path scales with concurrent writers, in a Spring Boot application with
 * the starter, plain JDBC and the relay not running (events accumulate): for 1, 8, 32 and
 * 64 writer threads, (a) the bare business transaction (one insert into a business table)
 * and (b) the same plus one outbox event (about 1 KB of JSON), measured in alternating
 * rounds; then (c) how long after a commit another session receives the notification that
 * wakes relays in other processes. The JVM CPU time per transaction (writers, notifier,
 * JIT and GC together) tells the cost of {@code publish} in the JVM apart from the
 * database's.
 * <p>
 * Options: {@code --threads 1,8,32,64}, {@code --seconds N} (per variant and round,
 * default 3), {@code --rounds N} (default 3), {@code --pool-size N} (default 34: one
 * connection per writer up to 32, and one for the notifier).
 */
final class WriteConcurrencyBenchmark {

	/** JPA is on the module's class path for the other benchmarks; this one uses JDBC. */
	private static final String JPA_AUTO_CONFIGURATIONS = "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration,"
			+ "org.springframework.boot.data.jpa.autoconfigure.DataJpaRepositoriesAutoConfiguration";

	private WriteConcurrencyBenchmark() {
	}

	static void run(String[] args) {
		int[] threads = threads(args);
		int seconds = Benchmarks.intOption(args, "--seconds", 3);
		int rounds = Benchmarks.intOption(args, "--rounds", 3);
		int poolSize = Benchmarks.intOption(args, "--pool-size", 34);
		TestPostgres.Database database = TestPostgres.newSchema();
		// a channel of this run's own: other runs on the server do not reach its listener
		String channel = "outbox_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
		Map<String, Object> properties = new LinkedHashMap<>(database.springProperties());
		properties.put("spring.main.web-application-type", "none");
		properties.put("spring.main.banner-mode", "off");
		properties.put("logging.level.root", "warn");
		properties.put("spring.flyway.enabled", "false");
		properties.put("spring.autoconfigure.exclude", JPA_AUTO_CONFIGURATIONS + "," + PeerAutoConfigurations.PEERS);
		properties.put("spring.datasource.hikari.maximum-pool-size", poolSize);
		properties.put("outbox.relay.enabled", "false");
		properties.put("outbox.consumer.enabled", "false");
		properties.put("outbox.notify-channel", channel);
		// connected before the pool fills up the server's connection slots
		try (Listener listener = new Listener(database, channel);
				ConfigurableApplicationContext context = new SpringApplicationBuilder(PlainJdbcApplication.class)
					.properties(properties)
					.run()) {
			DataSource dataSource = context.getBean(DataSource.class);
			try {
				new Run(context, listener, seconds, rounds, poolSize).all(threads);
			}
			finally {
				database.drop(dataSource);
			}
		}
	}

	private static int[] threads(String[] args) {
		for (int i = 0; i < args.length - 1; i++) {
			if (args[i].equals("--threads")) {
				return Arrays.stream(args[i + 1].split(",")).mapToInt((t) -> Integer.parseInt(t.trim())).toArray();
			}
		}
		return new int[] { 1, 8, 32, 64 };
	}

	private static final class Run {

		private final TransactionTemplate transactions;

		private final JdbcTemplate jdbc;

		private final Outbox outbox;

		private final Listener listener;

		private final int seconds;

		private final int rounds;

		private final int poolSize;

		private final AtomicLong ids = new AtomicLong();

		Run(ConfigurableApplicationContext context, Listener listener, int seconds, int rounds, int poolSize) {
			this.transactions = new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
			this.jdbc = new JdbcTemplate(context.getBean(DataSource.class));
			this.outbox = context.getBean(Outbox.class);
			this.listener = listener;
			this.seconds = seconds;
			this.rounds = rounds;
			this.poolSize = poolSize;
		}

		void all(int[] threadCounts) {
			this.jdbc.execute("create table bench_order (id bigint primary key, customer text not null, "
					+ "total integer not null, created_at timestamptz not null default now())");
			System.out.printf("outbox write-concurrency benchmark: %s, Java %s, %d CPUs, %s%n",
					java.time.LocalDate.now(), System.getProperty("java.version"),
					Runtime.getRuntime().availableProcessors(),
					String.valueOf(this.jdbc.queryForObject("select version()", String.class))
						.replaceAll(" on .*", ""));
			System.out.printf("JVM: %s%n", ManagementFactory.getRuntimeMXBean().getInputArguments());
			System.out.printf("load average at start: %s%n", loadAverage());
			System.out.printf(
					"%n(a) bare business transaction (insert one row) vs (b) the same + one outbox event "
							+ "(%d bytes JSON), relay not running; %d rounds of %d s per variant, alternating; "
							+ "Hikari pool of %d shared by the writers%n%n",
					new dev.outbox.json.JacksonPayloadSerializer().serialize(WriteBenchmark.payload(1)).length,
					this.rounds, this.seconds, this.poolSize);
			System.out.println("| writers | (a) tx/s | (b) tx/s | (b)/(a) | (a) p99 ms | (b) p99 ms "
					+ "| (a) JVM CPU µs/tx | (b) JVM CPU µs/tx | NOTIFYs/s during (b) |");
			System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
			// warm up: the JIT (slow to finish on a loaded machine), connections,
			// server-side
			// prepared statements
			measure(8, this.seconds * 2, false);
			measure(8, this.seconds * 2, true);
			for (int threads : threadCounts) {
				this.jdbc.execute("truncate bench_order, outbox_event");
				this.jdbc.execute("vacuum analyze bench_order");
				this.jdbc.execute("vacuum analyze outbox_event");
				measure(threads, 1, false);
				measure(threads, 1, true);
				Result bare = Result.EMPTY;
				Result withEvent = Result.EMPTY;
				long notifications = 0;
				for (int round = 0; round < this.rounds; round++) {
					boolean bareFirst = round % 2 == 0;
					if (bareFirst) {
						bare = bare.plus(measure(threads, this.seconds, false));
					}
					long before = this.listener.received.get();
					withEvent = withEvent.plus(measure(threads, this.seconds, true));
					notifications += this.listener.received.get() - before;
					if (!bareFirst) {
						bare = bare.plus(measure(threads, this.seconds, false));
					}
				}
				System.out.printf("| %d | %,.0f | %,.0f | %.2f | %.1f | %.1f | %.0f | %.0f | %,.0f |%n", threads,
						bare.perSecond(), withEvent.perSecond(), withEvent.perSecond() / bare.perSecond(),
						bare.stats().p99() / 1000, withEvent.stats().p99() / 1000, bare.cpuMicrosPerTransaction(),
						withEvent.cpuMicrosPerTransaction(), notifications / withEvent.seconds());
			}
			System.out.printf("%nload average at end: %s%n", loadAverage());
			wakeUpLatency(this.listener);
		}

		/**
		 * Commits spaced apart, each followed by the notification another session
		 * receives: the delay a relay in another process sees on top of its own work.
		 */
		private void wakeUpLatency(Listener listener) {
			int commits = 200;
			long[] latencies = new long[commits];
			for (int i = 0; i < commits; i++) {
				long before = listener.received.get();
				long[] committedAt = new long[1];
				long id = this.ids.incrementAndGet();
				this.transactions.executeWithoutResult((status) -> {
					// registered before the outbox's own: runs first after the commit
					TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

						@Override
						public void afterCommit() {
							committedAt[0] = System.nanoTime();
						}

					});
					this.jdbc.update("insert into bench_order (id, customer, total) values (?, ?, ?)", id,
							"customer-" + id, 100);
					this.outbox.publish(OutboxEvent.of("orders", id, WriteBenchmark.payload(id)));
				});
				long deadline = System.nanoTime() + 5_000_000_000L;
				while (listener.received.get() == before && System.nanoTime() < deadline) {
					LockSupport.parkNanos(20_000);
				}
				if (listener.received.get() == before) {
					System.out
						.printf("%n(c) no notification within 5 s of a commit: is outbox.notify-channel empty?%n");
					return;
				}
				latencies[i] = listener.lastAt - committedAt[0];
				// past the notifier's interval: each commit gets a notification of its
				// own
				LockSupport.parkNanos(20_000_000L);
			}
			Stats stats = Stats.of(latencies);
			System.out.printf(
					"%n(c) commit to NOTIFY received by another session, 1 writer, %d commits 20 ms apart: "
							+ "p50 %.2f ms, p99 %.2f ms, mean %.2f ms%n",
					commits, stats.p50() / 1000, stats.p99() / 1000, stats.mean() / 1000);
		}

		private Result measure(int threads, int seconds, boolean withEvent) {
			long[][] latencies = new long[threads][];
			int[] counts = new int[threads];
			CountDownLatch ready = new CountDownLatch(threads);
			CountDownLatch go = new CountDownLatch(1);
			List<Thread> writers = new ArrayList<>();
			long[] deadline = new long[1];
			for (int t = 0; t < threads; t++) {
				int index = t;
				Thread writer = new Thread(() -> {
					long[] samples = new long[4096];
					int count = 0;
					ready.countDown();
					await(go);
					while (System.nanoTime() < deadline[0]) {
						long start = System.nanoTime();
						transaction(withEvent);
						if (count == samples.length) {
							samples = Arrays.copyOf(samples, count * 2);
						}
						samples[count++] = System.nanoTime() - start;
					}
					latencies[index] = samples;
					counts[index] = count;
				}, "writer-" + t);
				writers.add(writer);
				writer.start();
			}
			await(ready);
			long cpuBefore = processCpuNanos();
			long start = System.nanoTime();
			deadline[0] = start + seconds * 1_000_000_000L;
			go.countDown();
			for (Thread writer : writers) {
				try {
					writer.join();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new IllegalStateException(ex);
				}
			}
			double elapsed = (System.nanoTime() - start) / 1e9;
			long cpu = processCpuNanos() - cpuBefore;
			int total = Arrays.stream(counts).sum();
			long[] all = new long[total];
			int offset = 0;
			for (int t = 0; t < threads; t++) {
				System.arraycopy(latencies[t], 0, all, offset, counts[t]);
				offset += counts[t];
			}
			return new Result(total, elapsed, cpu, all);
		}

		private void transaction(boolean withEvent) {
			long id = this.ids.incrementAndGet();
			this.transactions.executeWithoutResult((status) -> {
				this.jdbc.update("insert into bench_order (id, customer, total) values (?, ?, ?)", id, "customer-" + id,
						100);
				if (withEvent) {
					this.outbox.publish(OutboxEvent.of("orders", id, WriteBenchmark.payload(id)));
				}
			});
		}

		private static void await(CountDownLatch latch) {
			try {
				latch.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException(ex);
			}
		}

		/**
		 * CPU time of the whole JVM (writers, notifier, listener, JIT, GC), or 0 when the
		 * JVM cannot tell.
		 */
		private static long processCpuNanos() {
			return (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
					? Math.max(os.getProcessCpuTime(), 0) : 0;
		}

		private static String loadAverage() {
			try {
				return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
			}
			catch (java.io.IOException ex) {
				return String.format("%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
			}
		}

	}

	/**
	 * Transactions measured in one or more runs of a variant.
	 */
	private record Result(long transactions, double seconds, long cpuNanos, long @Nullable [] nanos) {

		static final Result EMPTY = new Result(0, 0, 0, null);

		Result plus(Result other) {
			long[] merged = (this.nanos == null) ? other.nanos : concat(this.nanos, other.nanos);
			return new Result(this.transactions + other.transactions, this.seconds + other.seconds,
					this.cpuNanos + other.cpuNanos, merged);
		}

		double perSecond() {
			return this.transactions / this.seconds;
		}

		/** CPU time of the JVM per transaction, in microseconds. */
		double cpuMicrosPerTransaction() {
			return this.cpuNanos / 1000.0 / this.transactions;
		}

		Stats stats() {
			return Stats.of((this.nanos != null) ? this.nanos : new long[] { 0 });
		}

		private static long[] concat(long[] a, long @Nullable [] b) {
			if (b == null) {
				return a;
			}
			long[] merged = Arrays.copyOf(a, a.length + b.length);
			System.arraycopy(b, 0, merged, a.length, b.length);
			return merged;
		}

	}

	/**
	 * A session of its own that {@code LISTEN}s on the outbox channel and counts what it
	 * receives, as the relay of another process would.
	 */
	private static final class Listener implements AutoCloseable {

		final AtomicLong received = new AtomicLong();

		volatile long lastAt;

		private final Connection connection;

		private final Thread thread;

		private volatile boolean running = true;

		Listener(TestPostgres.Database database, String channel) {
			try {
				this.connection = DriverManager.getConnection(database.url(), database.username(), database.password());
				try (Statement statement = this.connection.createStatement()) {
					statement.execute("listen " + channel);
				}
			}
			catch (SQLException ex) {
				throw new IllegalStateException(ex);
			}
			this.thread = new Thread(this::listen, "listener");
			this.thread.setDaemon(true);
			this.thread.start();
		}

		private void listen() {
			try {
				PGConnection pg = this.connection.unwrap(PGConnection.class);
				while (this.running) {
					PGNotification[] notifications = pg.getNotifications(100);
					if (notifications != null && notifications.length > 0) {
						this.lastAt = System.nanoTime();
						this.received.addAndGet(notifications.length);
					}
				}
			}
			catch (SQLException ex) {
				if (this.running) {
					ex.printStackTrace();
				}
			}
		}

		@Override
		public void close() {
			this.running = false;
			try {
				this.thread.join(1000);
				this.connection.close();
			}
			catch (SQLException | InterruptedException ex) {
				// the run is over
			}
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class PlainJdbcApplication {

	}

}
