package dev.outbox.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

import javax.sql.DataSource;

import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;
import dev.outbox.kafka.KafkaOutboxSender;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.test.TestKafka;
import dev.outbox.test.TestPostgres;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.boot.persistence.autoconfigure.EntityScan;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.ProducerListener;
import org.springframework.modulith.events.IncompleteEventPublications;
import org.springframework.modulith.events.core.EventSerializer;
import org.springframework.orm.jpa.SharedEntityManagerCreator;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The outbox and Spring Modulith's event publication registry with Kafka externalization,
 * side by side in one JVM: the same workloads, payloads, PostgreSQL server, Kafka broker
 * and producer settings ({@code acks=all}, idempotence, {@code linger.ms=5}), each side
 * in its own Spring Boot context and schema. Prints one markdown table.
 * <p>
 * Options: {@code --transactions N} (write overhead, measured transactions per variant,
 * default 2000), {@code --events N} (throughput and drain, default 20000),
 * {@code --low-rate R}, {@code --rate R} and {@code --seconds S} (commit-to-confirm
 * latency, default 100 and 500 events/s for 10 s each).
 */
final class CompareBenchmark {

	/**
	 * The Kafka topic of the Spring Modulith side.
	 */
	static final String MODULITH_TOPIC = "bench-modulith";

	/**
	 * Spring Modulith's auto-configurations, excluded from every context but its own.
	 */
	static final String MODULITH_AUTO_CONFIGURATIONS = String.join(",",
			"org.springframework.modulith.events.config.EventPublicationAutoConfiguration",
			"org.springframework.modulith.events.config.EventExternalizationAutoConfiguration",
			"org.springframework.modulith.events.jackson.JacksonEventSerializationConfiguration",
			"org.springframework.modulith.events.jackson2.Jackson2EventSerializationConfiguration",
			"org.springframework.modulith.events.jdbc.JdbcEventPublicationAutoConfiguration",
			"org.springframework.modulith.events.kafka.KafkaEventExternalizerConfiguration",
			"org.springframework.modulith.events.kafka.KafkaJacksonConfiguration",
			"org.springframework.modulith.events.kafka.KafkaJackson2Configuration");

	private static final String OUTBOX_AUTO_CONFIGURATIONS = String.join(",",
			"dev.outbox.autoconfigure.consumer.OutboxConsumerAutoConfiguration",
			"dev.outbox.autoconfigure.kafka.OutboxKafkaAutoConfiguration",
			"dev.outbox.autoconfigure.amqp.OutboxAmqpAutoConfiguration",
			"dev.outbox.autoconfigure.relay.OutboxRelayAutoConfiguration",
			"dev.outbox.autoconfigure.jdbc.OutboxJdbcAutoConfiguration",
			"dev.outbox.autoconfigure.admin.OutboxAdminAutoConfiguration",
			"dev.outbox.autoconfigure.metrics.OutboxMetricsAutoConfiguration",
			"dev.outbox.autoconfigure.actuate.OutboxHealthContributorAutoConfiguration",
			"dev.outbox.autoconfigure.actuate.OutboxEndpointAutoConfiguration",
			"dev.outbox.autoconfigure.tracing.OutboxTracingAutoConfiguration");

	private static final String OUTBOX_TOPIC = "bench-outbox";

	private static final int ROUNDS = 10;

	private static final int WRITERS = 4;

	private static final int EVENTS_PER_TRANSACTION = 100;

	private static final int KEYS = 1000;

	private static final Duration DELIVERY_TIMEOUT = Duration.ofMinutes(10);

	private CompareBenchmark() {
	}

	static void run(String[] args) {
		int transactions = Benchmarks.intOption(args, "--transactions", 2000);
		int events = Benchmarks.intOption(args, "--events", 20_000);
		int rate = Benchmarks.intOption(args, "--rate", 500);
		int lowRate = Benchmarks.intOption(args, "--low-rate", 100);
		int seconds = Benchmarks.intOption(args, "--seconds", 10);
		String loadBefore = loadAverage();
		long started = System.nanoTime();
		createTopics();
		Map<String, String> kafka = kafkaProperties();
		List<String[]> rows = new ArrayList<>();
		try (Side outbox = new OutboxSide(kafka); Side modulith = new ModulithSide(kafka)) {
			System.out.printf("compare: %s, Java %s, %d CPUs, %s, load average %s%n", LocalDate.now(),
					System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
					outbox.jdbc.queryForObject("select version()", String.class).replaceAll(" on .*", ""), loadBefore);
			outbox.warmUp();
			modulith.warmUp();
			writeOverhead(outbox, modulith, transactions, rows);
			throughput(outbox, modulith, events, rows);
			rabbit(events, rows);
			latency(outbox, modulith, lowRate, seconds, rows);
			latency(outbox, modulith, rate, seconds, rows);
			drain(outbox, modulith, events, rows);
		}
		catch (Exception ex) {
			throw new IllegalStateException("Comparison failed", ex);
		}
		System.out.printf(
				"%nOutbox vs Spring Modulith %s (events-jdbc, events-kafka %s); ratio = Spring Modulith ÷ outbox."
						+ " Load average %s before, %s after; %.0f s in all.%n%n",
				modulithVersion("EventSerializer"), modulithVersion("kafka.KafkaEventExternalizerConfiguration"),
				loadBefore, loadAverage(), (System.nanoTime() - started) / 1e9);
		System.out.println("| metric | outbox | Spring Modulith | ratio |");
		System.out.println("|---|---:|---:|---:|");
		rows.forEach((row) -> System.out.printf("| %s | %s | %s | %s |%n", (Object[]) row));
	}

	// created up front: an idempotent producer's first batches to a topic that the broker
	// is still auto-creating can be rejected until they expire
	private static void createTopics() {
		try (Admin admin = Admin
			.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers()))) {
			List<NewTopic> topics = List.of(new NewTopic(OUTBOX_TOPIC, 4, (short) 1),
					new NewTopic(MODULITH_TOPIC, 4, (short) 1));
			admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
			while (!haveLeaders(admin)) {
				if (System.nanoTime() > deadline) {
					throw new IllegalStateException("Topics have no leaders after 30 s");
				}
				Side.sleep(TimeUnit.MILLISECONDS.toNanos(100));
			}
		}
		catch (Exception ex) {
			throw new IllegalStateException("Could not create the topics", ex);
		}
	}

	private static boolean haveLeaders(Admin admin) throws InterruptedException {
		try {
			return admin.describeTopics(List.of(OUTBOX_TOPIC, MODULITH_TOPIC))
				.allTopicNames()
				.get(30, TimeUnit.SECONDS)
				.values()
				.stream()
				.allMatch((topic) -> topic.partitions().stream().allMatch((p) -> p.leader() != null));
		}
		catch (ExecutionException | TimeoutException ex) {
			// a topic the broker has just created can be unknown to its metadata a while
			return false;
		}
	}

	private static Map<String, String> kafkaProperties() {
		Map<String, String> properties = new LinkedHashMap<>();
		properties.put("spring.kafka.bootstrap-servers", TestKafka.bootstrapServers());
		// the outbox relay enforces these; Boot's KafkaTemplate, which Modulith uses,
		// gets them from here
		properties.put("spring.kafka.producer.acks", "all");
		properties.put("spring.kafka.producer.properties.enable.idempotence", "true");
		properties.put("spring.kafka.producer.properties.linger.ms", "5");
		properties.put("spring.kafka.producer.key-serializer", StringSerializer.class.getName());
		properties.put("spring.kafka.producer.value-serializer", ByteArraySerializer.class.getName());
		return properties;
	}

	// (a) the cost of one event on a small business transaction, measured in interleaved
	// rounds of the four variants so that drift hits all of them
	private static void writeOverhead(Side outbox, Side modulith, int measured, List<String[]> rows) {
		Map<String, IntConsumer> variants = new LinkedHashMap<>();
		AtomicLong ids = new AtomicLong(1_000_000_000L);
		variants.put("outbox: entity only", (i) -> outbox.entityOnly(ids.incrementAndGet()));
		variants.put("outbox: entity + 1 event", (i) -> outbox.entityAndEvent(ids.incrementAndGet()));
		variants.put("modulith: entity only", (i) -> modulith.entityOnly(ids.incrementAndGet()));
		variants.put("modulith: entity + 1 event", (i) -> modulith.entityAndEvent(ids.incrementAndGet()));
		for (IntConsumer variant : variants.values()) {
			for (int i = 0; i < Math.max(1000, measured / 5); i++) {
				variant.accept(i);
			}
		}
		outbox.awaitDelivered();
		modulith.awaitDelivered();
		int perRound = Math.max(1, measured / ROUNDS);
		Map<String, long[]> nanos = new LinkedHashMap<>();
		variants.keySet().forEach((name) -> nanos.put(name, new long[perRound * ROUNDS]));
		for (int round = 0; round < ROUNDS; round++) {
			for (Map.Entry<String, IntConsumer> variant : variants.entrySet()) {
				long[] samples = nanos.get(variant.getKey());
				for (int i = 0; i < perRound; i++) {
					long start = System.nanoTime();
					variant.getValue().accept(i);
					samples[round * perRound + i] = System.nanoTime() - start;
				}
			}
		}
		outbox.awaitDelivered();
		modulith.awaitDelivered();
		Map<String, Stats> stats = new LinkedHashMap<>();
		nanos.forEach((name, samples) -> {
			stats.put(name, Stats.of(samples));
			System.out.printf("write: %s: mean %.0f µs, p50 %.0f µs, p99 %.0f µs (%d transactions)%n", name,
					stats.get(name).mean(), stats.get(name).p50(), stats.get(name).p99(), samples.length);
		});
		Stats outboxBase = stats.get("outbox: entity only");
		Stats outboxEvent = stats.get("outbox: entity + 1 event");
		Stats modulithBase = stats.get("modulith: entity only");
		Stats modulithEvent = stats.get("modulith: entity + 1 event");
		rows.add(row("Write: transaction inserting 1 entity + 1 event, p50 µs", outboxEvent.p50(), modulithEvent.p50(),
				"%.0f"));
		double outboxP50 = 100 * (outboxEvent.p50() / outboxBase.p50() - 1);
		double modulithP50 = 100 * (modulithEvent.p50() / modulithBase.p50() - 1);
		rows.add(row(
				"Write: overhead of the event over entity only (%d tx per variant), p50".formatted(perRound * ROUNDS),
				outboxP50, modulithP50, "%+.0f%%"));
		double outboxMean = 100 * (outboxEvent.mean() / outboxBase.mean() - 1);
		double modulithMean = 100 * (modulithEvent.mean() / modulithBase.mean() - 1);
		rows.add(row("Write: overhead of the event over entity only, mean", outboxMean, modulithMean, "%+.0f%%"));
	}

	// (b) N events written by 4 writer threads in transactions of 100, time from the
	// first write to the last event delivered
	private static void throughput(Side outbox, Side modulith, int events, List<String[]> rows) throws Exception {
		double outboxRate = outbox.throughput(events);
		double modulithRate = modulith.throughput(events);
		rows.add(row("Kafka throughput: %,d events by %d writers in transactions of %d, events/s".formatted(events,
				WRITERS, EVENTS_PER_TRANSACTION), outboxRate, modulithRate, "%,.0f"));
	}

	// ours only: Spring Modulith's AMQP externalization has no 2.x release on Maven
	// Central
	private static void rabbit(int events, List<String[]> rows) {
		String metric = "RabbitMQ throughput: drain of %,d pending 1 KB events, events/s".formatted(events);
		try {
			double rate = RelayBenchmarks.drain("rabbit", events);
			rows.add(new String[] { metric, "%,.0f".formatted(rate), "n/a", "n/a" });
		}
		catch (Exception ex) {
			System.out.println("relay-rabbit: not run: " + ex.getMessage());
			rows.add(new String[] { metric, "not run", "n/a", "n/a" });
		}
	}

	// (c) commit of the writing transaction to the broker's acknowledgement of its
	// record, both timed in the same place: an after-commit callback that runs before any
	// other, and the producer's callback
	private static void latency(Side outbox, Side modulith, int rate, int seconds, List<String[]> rows)
			throws Exception {
		List<Double> outboxLatencies = outbox.latency(rate, seconds);
		List<Double> modulithLatencies = modulith.latency(rate, seconds);
		rows.add(row("Commit-to-confirm p50 at %,d events/s for %d s, ms".formatted(rate, seconds),
				percentile(outboxLatencies, 0.50), percentile(modulithLatencies, 0.50), "%.1f"));
		rows.add(row("Commit-to-confirm p99 at %,d events/s, ms".formatted(rate), percentile(outboxLatencies, 0.99),
				percentile(modulithLatencies, 0.99), "%.1f"));
	}

	// (d) N events committed in one transaction, and N events left undelivered (by a
	// broker outage or a crash) and picked up again
	private static void drain(Side outbox, Side modulith, int events, List<String[]> rows) throws Exception {
		double outboxCommitted = outbox.committedAtOnce(events);
		double modulithCommitted = modulith.committedAtOnce(events);
		rows.add(row("Drain: %,d events committed in one transaction, s to all delivered".formatted(events),
				outboxCommitted, modulithCommitted, "%.2f"));
		double outboxBacklog = outbox.backlog(events);
		double modulithBacklog = modulith.backlog(events);
		rows.add(row("Drain: backlog of %,d undelivered events picked up again, s".formatted(events), outboxBacklog,
				modulithBacklog, "%.2f"));
	}

	private static String[] row(String metric, double outbox, double modulith, String format) {
		return new String[] { metric, format.formatted(outbox), format.formatted(modulith),
				"%.2f".formatted(modulith / outbox) };
	}

	private static double percentile(List<Double> sorted, double p) {
		if (sorted.isEmpty()) {
			return Double.NaN;
		}
		int index = (int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1);
		return sorted.get(Math.max(0, index));
	}

	private static String loadAverage() {
		try {
			String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
			return String.join(" ", Arrays.copyOf(fields, 3));
		}
		catch (Exception ex) {
			return "unknown";
		}
	}

	private static String modulithVersion(String type) {
		try {
			Package pkg = Class
				.forName("org.springframework.modulith.events." + ((type.contains(".")) ? type : "core." + type))
				.getPackage();
			String version = pkg.getImplementationVersion();
			return (version != null) ? version : "?";
		}
		catch (ClassNotFoundException ex) {
			return "?";
		}
	}

	/**
	 * One side of the comparison: a Spring Boot context with JPA on its own schema.
	 */
	private abstract static class Side implements AutoCloseable {

		final String name;

		final TestPostgres.Database database = TestPostgres.newSchema();

		final ConfigurableApplicationContext context;

		final TransactionTemplate transactions;

		final EntityManager entityManager;

		final JdbcTemplate jdbc;

		/**
		 * Message key to {@link System#nanoTime()} of the first acknowledgement of its
		 * record.
		 */
		final Map<String, Long> acknowledged = new ConcurrentHashMap<>();

		final AtomicLong ids = new AtomicLong();

		Side(String name, Class<?> application, Map<String, String> own) {
			this.name = name;
			Map<String, Object> properties = Benchmarks.jpaApplicationProperties(this.database);
			properties.putAll(own);
			this.context = new SpringApplicationBuilder(application).properties(properties).run();
			this.transactions = new TransactionTemplate(this.context.getBean(PlatformTransactionManager.class));
			this.entityManager = SharedEntityManagerCreator
				.createSharedEntityManager(this.context.getBean(EntityManagerFactory.class));
			this.jdbc = new JdbcTemplate(this.context.getBean(DataSource.class));
		}

		/**
		 * Record one event for the order in the current transaction.
		 * @param id the order id, also the message key
		 */
		abstract void publish(long id);

		/**
		 * Count the events not yet confirmed by the broker.
		 * @return the number of undelivered events
		 */
		abstract long undelivered();

		/**
		 * Leave {@code events} undelivered events in the store, as a broker outage or a
		 * crash would, then start delivering them.
		 * @param events how many
		 * @return {@link System#nanoTime()} when delivery was started
		 */
		abstract long leaveUndeliveredAndResume(int events);

		void entityOnly(long id) {
			this.transactions.executeWithoutResult(
					(status) -> this.entityManager.persist(new BenchmarkOrder(id, "customer-" + id, 100)));
		}

		void entityAndEvent(long id) {
			this.transactions.executeWithoutResult((status) -> {
				this.entityManager.persist(new BenchmarkOrder(id, "customer-" + id, 100));
				publish(id);
			});
		}

		void warmUp() {
			for (int i = 0; i < 2000; i++) {
				long id = this.ids.incrementAndGet();
				this.transactions.executeWithoutResult((status) -> publish(id));
			}
			awaitDelivered();
		}

		double throughput(int events) throws Exception {
			AtomicLong remaining = new AtomicLong(events);
			long start = System.nanoTime();
			long written = runWriters((writer) -> {
				long batch;
				while ((batch = Math.min(EVENTS_PER_TRANSACTION, remaining.getAndAdd(-EVENTS_PER_TRANSACTION))) > 0) {
					int size = (int) batch;
					this.transactions.executeWithoutResult((status) -> {
						for (int i = 0; i < size; i++) {
							publish(this.ids.incrementAndGet());
						}
					});
				}
			});
			long end = awaitDelivered();
			double rate = events / ((end - start) / 1e9);
			System.out.printf(
					"throughput: %s: %,d events written in %.2f s, all delivered after %.2f s = %,.0f events/s%n",
					this.name, events, (written - start) / 1e9, (end - start) / 1e9, rate);
			return rate;
		}

		List<Double> latency(int rate, int seconds) throws Exception {
			Map<String, Long> committed = new ConcurrentHashMap<>();
			this.acknowledged.clear();
			int total = rate * seconds;
			long start = System.nanoTime();
			runWriters((writer) -> {
				for (int i = writer; i < total; i += WRITERS) {
					long due = start + (long) (i * (1e9 / rate));
					long wait = due - System.nanoTime();
					if (wait > 0) {
						sleep(wait);
					}
					long id = this.ids.incrementAndGet();
					String key = String.valueOf(id);
					this.transactions.executeWithoutResult((status) -> {
						afterCommit(() -> committed.put(key, System.nanoTime()));
						publish(id);
					});
				}
			});
			awaitDelivered();
			List<Double> latencies = new ArrayList<>(total);
			int missing = 0;
			for (Map.Entry<String, Long> commit : committed.entrySet()) {
				Long ack = this.acknowledged.get(commit.getKey());
				if (ack != null) {
					latencies.add(Math.max(0, ack - commit.getValue()) / 1e6);
				}
				else {
					missing++;
				}
			}
			if (missing > 0) {
				throw new IllegalStateException(this.name + ": no acknowledgement seen for " + missing + " events");
			}
			Collections.sort(latencies);
			System.out.printf(
					"latency: %s: %,d events at %,d events/s, commit-to-confirm p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
					this.name, latencies.size(), rate, percentile(latencies, 0.50), percentile(latencies, 0.99),
					percentile(latencies, 1.0));
			return latencies;
		}

		/**
		 * Record one event for the order in the current transaction, keyed by one of
		 * {@value #KEYS} keys where the implementation has to lock per key.
		 * @param id the order id
		 */
		void publishWithFewKeys(long id) {
			publish(id);
		}

		double committedAtOnce(int events) {
			AtomicLong committedAt = new AtomicLong();
			this.transactions.executeWithoutResult((status) -> {
				for (int i = 0; i < events; i++) {
					publishWithFewKeys(this.ids.incrementAndGet());
				}
				afterCommit(() -> committedAt.set(System.nanoTime()));
			});
			double seconds = (awaitDelivered() - committedAt.get()) / 1e9;
			System.out.printf("drain: %s: %,d events committed in one transaction, all delivered after %.2f s%n",
					this.name, events, seconds);
			return seconds;
		}

		double backlog(int events) {
			long start = leaveUndeliveredAndResume(events);
			double seconds = (awaitDelivered() - start) / 1e9;
			System.out.printf("drain: %s: backlog of %,d events delivered after %.2f s%n", this.name, events, seconds);
			return seconds;
		}

		/**
		 * Wait until every event is delivered.
		 * @return {@link System#nanoTime()} when the store had no undelivered event left
		 */
		long awaitDelivered() {
			long deadline = System.nanoTime() + DELIVERY_TIMEOUT.toNanos();
			while (undelivered() > 0) {
				if (System.nanoTime() > deadline) {
					throw new IllegalStateException(
							this.name + ": " + undelivered() + " events still undelivered after " + DELIVERY_TIMEOUT);
				}
				sleep(TimeUnit.MILLISECONDS.toNanos(10));
			}
			return System.nanoTime();
		}

		static void afterCommit(Runnable action) {
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

				@Override
				public int getOrder() {
					return Ordered.HIGHEST_PRECEDENCE;
				}

				@Override
				public void afterCommit() {
					action.run();
				}

			});
		}

		/**
		 * Run the writers and wait for them.
		 * @param writer the work of writer {@code 0..WRITERS-1}
		 * @return {@link System#nanoTime()} when the last writer was done
		 */
		private static long runWriters(IntConsumer writer) throws InterruptedException {
			CountDownLatch done = new CountDownLatch(WRITERS);
			AtomicReference<RuntimeException> failure = new AtomicReference<>();
			for (int w = 0; w < WRITERS; w++) {
				int index = w;
				Thread thread = new Thread(() -> {
					try {
						writer.accept(index);
					}
					catch (RuntimeException ex) {
						failure.compareAndSet(null, ex);
					}
					finally {
						done.countDown();
					}
				}, "writer-" + w);
				thread.start();
			}
			done.await();
			if (failure.get() != null) {
				throw failure.get();
			}
			return System.nanoTime();
		}

		static void sleep(long nanos) {
			try {
				TimeUnit.NANOSECONDS.sleep(nanos);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException(ex);
			}
		}

		ProducerListener<Object, Object> acknowledgements() {
			return new ProducerListener<>() {

				@Override
				public void onSuccess(ProducerRecord<Object, Object> record, RecordMetadata metadata) {
					Side.this.acknowledged.putIfAbsent(String.valueOf(record.key()), System.nanoTime());
				}

			};
		}

		@Override
		public void close() {
			this.context.close();
			try (HikariDataSource dataSource = this.database.dataSource()) {
				this.database.drop(dataSource);
			}
		}

	}

	/**
	 * The outbox: {@code Outbox.publish} in the transaction, the relay (in the same
	 * application, default settings) delivers to Kafka.
	 */
	private static final class OutboxSide extends Side {

		private final Outbox outbox;

		private final OutboxRelay relay;

		OutboxSide(Map<String, String> kafka) {
			super("outbox", OutboxApplication.class, outboxProperties(kafka));
			this.outbox = this.context.getBean(Outbox.class);
			this.relay = this.context.getBean(OutboxRelay.class);
			this.context.getBean(OutboxApplication.class).acknowledgements = acknowledgements();
		}

		private static Map<String, String> outboxProperties(Map<String, String> kafka) {
			Map<String, String> properties = new LinkedHashMap<>(kafka);
			properties.put("outbox.relay.broker", "kafka");
			properties.put("outbox.consumer.enabled", "false");
			properties.put("spring.autoconfigure.exclude", MODULITH_AUTO_CONFIGURATIONS);
			return properties;
		}

		@Override
		void publish(long id) {
			this.outbox.publish(OutboxEvent.of(OUTBOX_TOPIC, id, WriteBenchmark.payload(id)));
		}

		// one transaction takes one advisory lock per key, and PostgreSQL's lock table
		// (max_locks_per_transaction 64 × max_connections by default) holds a few
		// thousand: ten thousands of distinct keys in one transaction fail with "out of
		// shared memory"
		@Override
		void publishWithFewKeys(long id) {
			this.outbox.publish(OutboxEvent.builder(OUTBOX_TOPIC)
				.aggregateId(id)
				.key("k" + (id % KEYS))
				.payload(WriteBenchmark.payload(id))
				.build());
		}

		@Override
		long undelivered() {
			Long count = this.jdbc.queryForObject("select count(*) from outbox_event where status = 'PENDING'",
					Long.class);
			if (count != null && count == 0) {
				// a parked event is not pending but not delivered either
				Long parked = this.jdbc.queryForObject("select count(*) from outbox_event where status = 'PARKED'",
						Long.class);
				if (parked != null && parked > 0) {
					throw new IllegalStateException("outbox: " + parked + " events parked instead of delivered");
				}
			}
			return (count != null) ? count : 0;
		}

		@Override
		long leaveUndeliveredAndResume(int events) {
			this.relay.stop();
			for (int done = 0; done < events; done += 1000) {
				int size = Math.min(1000, events - done);
				this.transactions.executeWithoutResult((status) -> {
					for (int i = 0; i < size; i++) {
						publish(this.ids.incrementAndGet());
					}
				});
			}
			long start = System.nanoTime();
			this.relay.start();
			return start;
		}

	}

	/**
	 * Spring Modulith: {@code ApplicationEventPublisher.publishEvent} of an
	 * {@code @Externalized} event in the transaction, the event publication registry
	 * (JDBC) and Kafka externalization through Boot's {@code KafkaTemplate}.
	 */
	private static final class ModulithSide extends Side {

		ModulithSide(Map<String, String> kafka) {
			super("Spring Modulith", ModulithApplication.class, modulithProperties(kafka));
			KafkaTemplate<?, ?> template = this.context.getBean(KafkaTemplate.class);
			setListener(template, acknowledgements());
		}

		@SuppressWarnings({ "unchecked", "rawtypes" })
		private static void setListener(KafkaTemplate template, ProducerListener<Object, Object> listener) {
			template.setProducerListener(listener);
		}

		private static Map<String, String> modulithProperties(Map<String, String> kafka) {
			Map<String, String> properties = new LinkedHashMap<>(kafka);
			properties.put("spring.modulith.events.jdbc.schema-initialization.enabled", "true");
			properties.put("spring.autoconfigure.exclude", OUTBOX_AUTO_CONFIGURATIONS);
			return properties;
		}

		@Override
		void publish(long id) {
			this.context.publishEvent(WriteBenchmark.payload(id));
		}

		@Override
		long undelivered() {
			Map<String, Object> counts = this.jdbc
				.queryForMap("select count(*) as incomplete, " + "count(*) filter (where status = 'FAILED') as failed "
						+ "from event_publication where completion_date is null");
			long failed = ((Number) counts.get("failed")).longValue();
			if (failed > 0) {
				throw new IllegalStateException("Spring Modulith: " + failed + " event publications failed");
			}
			return ((Number) counts.get("incomplete")).longValue();
		}

		@Override
		long leaveUndeliveredAndResume(int events) {
			// incomplete publications as the registry stores them: the listener and event
			// type of a completed one, each event serialized by Modulith's own serializer
			Map<String, Object> template = this.jdbc
				.queryForMap("select listener_id, event_type from event_publication limit 1");
			EventSerializer serializer = this.context.getBean(EventSerializer.class);
			List<Object[]> batch = new ArrayList<>();
			this.transactions.executeWithoutResult((status) -> {
				for (int i = 0; i < events; i++) {
					long id = this.ids.incrementAndGet();
					batch.add(new Object[] { java.util.UUID.randomUUID(), template.get("event_type"),
							template.get("listener_id"), serializer.serialize(WriteBenchmark.payload(id)).toString() });
					if (batch.size() == 1000 || i == events - 1) {
						this.jdbc.batchUpdate("insert into event_publication (id, event_type, listener_id, "
								+ "publication_date, serialized_event, status, completion_attempts, last_resubmission_date) "
								+ "values (?, ?, ?, now(), ?, 'PUBLISHED', 1, now())", batch);
						batch.clear();
					}
				}
			});
			long start = System.nanoTime();
			// what a restart with republish-outstanding-events-on-restart, or an
			// operator, does
			this.context.getBean(IncompleteEventPublications.class)
				.resubmitIncompletePublications((publication) -> true);
			return start;
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@EntityScan(basePackageClasses = BenchmarkOrder.class)
	static class OutboxApplication {

		volatile ProducerListener<Object, Object> acknowledgements;

		/**
		 * The relay's producer with the settings the starter gives it (which it keeps to
		 * itself, so the benchmark builds its own to add a producer callback).
		 */
		@Bean
		RelayProducer benchmarkRelayProducer(KafkaProperties kafka) {
			Map<String, Object> config = new HashMap<>(kafka.buildProducerProperties());
			config.put(ProducerConfig.ACKS_CONFIG, "all");
			config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
			config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
			config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
			long sendTimeout = OutboxRelay.DEFAULT_SEND_TIMEOUT.toMillis();
			config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
			config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, sendTimeout);
			config.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(1000, sendTimeout / 2));
			config.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) sendTimeout);
			return new RelayProducer(new DefaultKafkaProducerFactory<>(config));
		}

		/**
		 * The relay's sender, with a producer callback that records acknowledgements.
		 */
		@Bean
		KafkaOutboxSender benchmarkKafkaSender(RelayProducer producer) {
			KafkaTemplate<String, byte[]> template = new KafkaTemplate<>(producer.factory());
			template.setProducerListener(new ProducerListener<>() {

				@Override
				public void onSuccess(ProducerRecord<String, byte[]> record, RecordMetadata metadata) {
					ProducerListener<Object, Object> listener = OutboxApplication.this.acknowledgements;
					if (listener != null) {
						listener.onSuccess(new ProducerRecord<>(record.topic(), record.key(), null), metadata);
					}
				}

			});
			return new KafkaOutboxSender(template);
		}

	}

	/**
	 * The relay's Kafka producer, closed with the context.
	 */
	record RelayProducer(DefaultKafkaProducerFactory<String, byte[]> factory) implements DisposableBean {

		@Override
		public void destroy() {
			this.factory.destroy();
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@EntityScan(basePackageClasses = BenchmarkOrder.class)
	static class ModulithApplication {

	}

}
