package dev.outbox.benchmarks;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxTables;
import dev.outbox.amqp.RabbitOutboxSender;
import dev.outbox.kafka.KafkaOutboxSender;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxRelayListener;
import dev.outbox.spi.OutboxSender;
import dev.outbox.spi.Partitions;
import dev.outbox.test.TestDatabase;
import dev.outbox.test.TestKafka;
import dev.outbox.test.TestRabbit;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jspecify.annotations.Nullable;

import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * Relay scenarios: drain of a pre-filled backlog of 1 KB events to Kafka and to RabbitMQ
 * (throughput), and commit-to-confirm latency at a steady write rate. The Kafka drain
 * runs on an analyzed table and on a never-analyzed one (a backlog that built up in a
 * fresh table, the relay's plans cached while it was tiny), and with {@code --parked N}
 * also with N parked events on another destination; {@code --keys N} spreads the backlog
 * over N keys (default 1,000; 1 drains a single hot key); {@code --database mariadb} runs
 * the analyzed drain twice on a MariaDB test database instead of PostgreSQL. Every Kafka
 * run first drains an unmeasured backlog ({@code --warmup N}, default the backlog's size
 * up to 20,000; 0 skips it), so that every measured drain runs in a warm JVM.
 */
final class RelayBenchmarks {

	private static final int KEYS = 1000;

	/** Events of the unmeasured warm-up drain, unless {@code --warmup} says otherwise. */
	private static final int WARMUP_EVENTS = 20_000;

	/** Keys the drained backlog is spread over ({@code --keys} of relay-kafka). */
	private static volatile int backlogKeys = KEYS;

	/** Whether the running drain is the unmeasured warm-up (its lines say so). */
	private static volatile boolean warmingUp;

	/** The test server of the drains ({@code --database} of relay-kafka). */
	private static volatile String database = "postgresql";

	private RelayBenchmarks() {
	}

	static void kafka(String[] args) {
		int events = (args.length > 0 && !args[0].startsWith("--")) ? Integer.parseInt(args[0]) : 100_000;
		int parked = Benchmarks.intOption(args, "--parked", 0);
		backlogKeys = Benchmarks.intOption(args, "--keys", KEYS);
		database = databaseOption(args);
		int warmup = Benchmarks.intOption(args, "--warmup", Math.min(events, WARMUP_EVENTS));
		if (database.equals("mariadb")) {
			if (parked > 0) {
				throw new IllegalArgumentException(
						"relay-kafka --parked runs on PostgreSQL only: drop --database mariadb");
			}
			// no autovacuum to switch off there: the analyzed drain twice, the second
			// with
			// the JVM warm, to set beside PostgreSQL's two drains
			run(() -> {
				warmUp(warmup);
				drain("kafka", events);
				drain("kafka", events);
			});
			return;
		}
		run(() -> {
			warmUp(warmup);
			double analyzed = drain("kafka", events);
			double fresh = drain("kafka", events, Statistics.NEVER_ANALYZED, 0);
			System.out.printf("relay-kafka: never-analyzed table drains at %.2fx the analyzed rate%n",
					fresh / analyzed);
			if (parked > 0) {
				double withParked = drain("kafka", events, Statistics.ANALYZED, parked);
				System.out.printf(
						"relay-kafka: with %,d parked events on another destination: %.2fx the rate without%n", parked,
						withParked / analyzed);
			}
		});
	}

	/**
	 * Drain a backlog that is not measured, so that the measured drains all run in a warm
	 * JVM (compiled relay, driver and producer code) and compare with each other.
	 */
	private static void warmUp(int events) throws Exception {
		if (events > 0) {
			System.out.printf("relay-kafka: warm-up drain of %,d events (not measured)%n", events);
			warmingUp = true;
			try {
				drain("kafka", events);
			}
			finally {
				warmingUp = false;
			}
		}
	}

	static void rabbit(String[] args) {
		run(() -> drain("rabbit", intArg(args, 0, 100_000)));
	}

	static void latency(String[] args) {
		run(() -> latency(intArg(args, 0, 1000), intArg(args, 1, 20)));
	}

	private static void run(Scenario scenario) {
		try {
			scenario.run();
		}
		catch (Exception ex) {
			throw new IllegalStateException("Relay benchmark failed", ex);
		}
	}

	private static String databaseOption(String[] args) {
		for (int i = 0; i < args.length - 1; i++) {
			if (args[i].equals("--database")) {
				String value = args[i + 1];
				if (!value.equals("postgresql") && !value.equals("mariadb")) {
					throw new IllegalArgumentException(
							"relay-kafka --database must be postgresql or mariadb, not '" + value + "'");
				}
				return value;
			}
		}
		return "postgresql";
	}

	private static int intArg(String[] args, int index, int defaultValue) {
		return (args.length > index) ? Integer.parseInt(args[index]) : defaultValue;
	}

	/**
	 * Drain a pre-filled backlog of 1 KB events with one relay instance.
	 * @param broker {@code kafka} or {@code rabbit}
	 * @param events the size of the backlog
	 * @return events per second
	 * @throws Exception if the benchmark fails
	 */
	static double drain(String broker, int events) throws Exception {
		return drain(broker, events, Statistics.ANALYZED, 0);
	}

	/**
	 * Drain a pre-filled backlog of 1 KB events with one relay instance.
	 * @param broker {@code kafka} or {@code rabbit}
	 * @param events the size of the backlog
	 * @param statistics whether the table is analyzed after the backlog is written, or
	 * never (autovacuum off, the relay's statements first run on the empty table)
	 * @param parked parked events to preload on another destination
	 * @return events per second
	 * @throws Exception if the benchmark fails
	 */
	static double drain(String broker, int events, Statistics statistics, int parked) throws Exception {
		try (Environment env = new Environment(broker)) {
			OutboxRelay relay = env.relay(null).build();
			if (statistics == Statistics.NEVER_ANALYZED) {
				// the relay's statements run while the table is empty, then a backlog
				// builds up (fresh start, broker outage) and nothing analyzes the table
				env.jdbc
					.execute("alter table " + env.tables.qualifiedEventTable() + " set (autovacuum_enabled = false)");
				relay.start();
				try (Connection connection = env.dataSource.getConnection()) {
					for (int i = 0; i < 50; i++) {
						env.insert(connection, "k" + i);
						relay.wakeUp();
						while (env.pending() > 0) {
							Thread.sleep(5);
						}
					}
				}
				relay.stop();
				relay = env.relay(null).build();
			}
			long fillStart = System.nanoTime();
			if (parked > 0) {
				env.parked(parked);
			}
			env.prefill(events, statistics == Statistics.ANALYZED);
			String setting = ((parked > 0) ? String.format(", %,d parked on another destination", parked) : "")
					+ ((statistics == Statistics.ANALYZED) ? ", analyzed table" : ", never-analyzed table");
			System.out.printf("relay-%s: pre-filled %,d events of 1 KB over %,d keys in %.1f s%s%n", label(broker),
					events, backlogKeys, (System.nanoTime() - fillStart) / 1e9, setting);
			long start = System.nanoTime();
			relay.start();
			while (env.pending() > 0) {
				Thread.sleep(50);
			}
			double seconds = (System.nanoTime() - start) / 1e9;
			relay.stop();
			System.out.printf(
					"relay-%s: drained %,d events in %.2f s = %,.0f events/s (batch %d, 1 KB payloads, %,d keys%s, %s)%n",
					label(broker), events, seconds, events / seconds, OutboxRelay.DEFAULT_BATCH_SIZE, backlogKeys,
					setting, env.database.product());
			return events / seconds;
		}
	}

	private static String label(String broker) {
		return warmingUp ? broker + " warm-up" : broker;
	}

	/** Whether the table's statistics are fresh. */
	enum Statistics {

		/** Analyzed after the backlog was written. */
		ANALYZED,

		/** Never analyzed, autovacuum off. */
		NEVER_ANALYZED

	}

	private static void latency(int rate, int seconds) throws Exception {
		try (Environment env = new Environment("kafka")) {
			Map<UUID, Long> committedAt = new ConcurrentHashMap<>();
			List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
			OutboxRelayListener listener = new OutboxRelayListener() {
				@Override
				public void onPublished(List<OutboxMessage> messages, Instant confirmedAt) {
					long now = System.nanoTime();
					for (OutboxMessage message : messages) {
						Long at = committedAt.remove(message.id());
						if (at != null) {
							latencies.add(now - at);
						}
					}
				}
			};
			OutboxRelay relay = env.relay(listener).build();
			relay.start();
			// warm up: the topic is created and the producer connected before measuring
			try (Connection connection = env.dataSource.getConnection()) {
				for (int i = 0; i < 2000; i++) {
					env.insert(connection, "k" + (i % KEYS));
				}
			}
			relay.wakeUp();
			while (env.pending() > 0) {
				Thread.sleep(20);
			}
			int writers = 4;
			int total = rate * seconds;
			CountDownLatch done = new CountDownLatch(writers);
			long start = System.nanoTime();
			for (int w = 0; w < writers; w++) {
				int writer = w;
				Thread thread = new Thread(() -> {
					try (Connection connection = env.dataSource.getConnection()) {
						for (int i = writer; i < total; i += writers) {
							long due = start + (long) (i * (1e9 / rate));
							long wait = due - System.nanoTime();
							if (wait > 0) {
								TimeUnit.NANOSECONDS.sleep(wait);
							}
							UUID id = env.insert(connection, "k" + (i % KEYS));
							committedAt.put(id, System.nanoTime());
							relay.wakeUp();
						}
					}
					catch (Exception ex) {
						throw new IllegalStateException(ex);
					}
					finally {
						done.countDown();
					}
				});
				thread.start();
			}
			done.await();
			while (env.pending() > 0) {
				Thread.sleep(20);
			}
			relay.stop();
			Stats stats = Stats.of(new ArrayList<>(latencies));
			System.out.printf("relay-latency: %,d events at %,d events/s to Kafka, commit-to-confirm %s%n",
					stats.count(), rate, stats.millis());
		}
	}

	@FunctionalInterface
	private interface Scenario {

		void run() throws Exception;

	}

	/**
	 * A fresh schema, a destination and a sender.
	 */
	private static final class Environment implements AutoCloseable {

		final TestDatabase database = TestDatabase.create(RelayBenchmarks.database);

		final HikariDataSource dataSource = this.database.dataSource();

		final OutboxTables tables = new OutboxTables(this.database.schema(), "outbox_event",
				"outbox_processed_message");

		final JdbcTemplate jdbc = new JdbcTemplate(this.dataSource);

		final String destination = "bench-" + UUID.randomUUID();

		final byte[] payload = new byte[1024];

		final OutboxSender sender;

		private final List<AutoCloseable> closeables = new ArrayList<>();

		Environment(String broker) {
			this.database.migrateOutboxSchema(this.dataSource);
			java.util.Arrays.fill(this.payload, (byte) 'x');
			this.sender = broker.equals("kafka") ? kafka() : rabbit();
		}

		private OutboxSender kafka() {
			Map<String, Object> config = new HashMap<>();
			config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
			config.put(ProducerConfig.ACKS_CONFIG, "all");
			config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
			config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
			config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
			config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
			config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10000);
			config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
			config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10000);
			DefaultKafkaProducerFactory<String, byte[]> factory = new DefaultKafkaProducerFactory<>(config);
			this.closeables.add(factory::destroy);
			return new KafkaOutboxSender(new KafkaTemplate<>(factory));
		}

		private OutboxSender rabbit() {
			TestRabbit.Broker broker = TestRabbit.broker();
			CachingConnectionFactory connectionFactory = new CachingConnectionFactory(broker.host(), broker.port());
			connectionFactory.setUsername(broker.username());
			connectionFactory.setPassword(broker.password());
			connectionFactory.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
			connectionFactory.setPublisherReturns(true);
			RabbitAdmin admin = new RabbitAdmin(connectionFactory);
			DirectExchange exchange = new DirectExchange(this.destination, false, true);
			// a bounded queue keeps the broker's memory flat: messages are routed and
			// confirmed
			Queue queue = QueueBuilder.nonDurable(this.destination).autoDelete().maxLength(10_000).build();
			admin.declareExchange(exchange);
			admin.declareQueue(queue);
			admin.declareBinding(BindingBuilder.bind(queue).to(exchange).with("bench"));
			this.closeables.add(() -> {
				admin.deleteQueue(this.destination);
				admin.deleteExchange(this.destination);
				connectionFactory.destroy();
			});
			return new RabbitOutboxSender(new RabbitTemplate(connectionFactory));
		}

		OutboxRelay.Builder relay(@Nullable OutboxRelayListener listener) {
			OutboxRelay.Builder builder = OutboxRelay.builder(this.dataSource, this.tables).sender(this.sender);
			if (listener != null) {
				builder.listener(listener);
			}
			return builder;
		}

		void prefill(int events, boolean analyze) {
			if (this.database.product().equals("mariadb")) {
				prefillMariaDb(events);
				return;
			}
			int keyCount = backlogKeys;
			StringBuilder keys = new StringBuilder();
			for (int k = 0; k < keyCount; k++) {
				keys.append((k > 0) ? "," : "")
					.append("(")
					.append(k)
					.append(",'k")
					.append(k)
					.append("',")
					.append(Partitions.of("k" + k, Partitions.DEFAULT_COUNT))
					.append(")");
			}
			this.jdbc.update("insert into " + this.tables.qualifiedEventTable()
					+ " (id, aggregate_type, aggregate_id, event_type, destination, message_key, partition_no, payload, content_type, created_at, available_at)"
					+ " select gen_random_uuid(), 'order', k.key, 'bench', ?, k.key, k.p, ?, 'application/octet-stream', now(), now()"
					+ " from generate_series(0, ? - 1) i join (values " + keys + ") k(n, key, p) on k.n = i % "
					+ keyCount + " order by i", this.destination, this.payload, events);
			if (analyze) {
				this.jdbc.execute("analyze " + this.tables.qualifiedEventTable());
			}
		}

		/**
		 * The same backlog on MariaDB: the rows of the sequence engine's
		 * {@code seq_0_to_N} table instead of {@code generate_series}, {@code uuid()} ids
		 * (the column is text there), empty headers (no default there) and UTC times as
		 * the MariaDB store keeps them.
		 */
		private void prefillMariaDb(int events) {
			int keyCount = backlogKeys;
			StringBuilder keys = new StringBuilder();
			for (int k = 0; k < keyCount; k++) {
				keys.append((k > 0) ? " union all select " : "select ")
					.append(k)
					.append((k > 0) ? "" : " as n")
					.append(",'k")
					.append(k)
					.append((k > 0) ? "'," : "' as message_key,")
					.append(Partitions.of("k" + k, Partitions.DEFAULT_COUNT))
					.append((k > 0) ? "" : " as p");
			}
			this.jdbc.update("insert into " + this.tables.qualifiedEventTable()
					+ " (id, aggregate_type, aggregate_id, event_type, destination, message_key, partition_no, payload, content_type, headers, created_at, available_at)"
					+ " select uuid(), 'order', k.message_key, 'bench', ?, k.message_key, k.p, ?, 'application/octet-stream', '{}',"
					+ " utc_timestamp(6), utc_timestamp(6) from seq_0_to_" + (events - 1) + " i join (" + keys
					+ ") k on k.n = i.seq % " + keyCount + " order by i.seq", this.destination, this.payload);
			this.jdbc.execute("analyze table " + this.tables.qualifiedEventTable());
		}

		/**
		 * Preload parked events, each of its own key, on another destination.
		 */
		void parked(int events) {
			this.jdbc.update("insert into " + this.tables.qualifiedEventTable()
					+ " (id, aggregate_type, aggregate_id, event_type, destination, message_key, partition_no, payload,"
					+ " content_type, created_at, available_at, status, attempts, last_error)"
					+ " select gen_random_uuid(), 'order', 'p' || i, 'bench', ?, 'p' || i, i % ?, ?,"
					+ " 'application/octet-stream', now(), now(), 'PARKED', 10, 'rejected' from generate_series(1, ?) i",
					this.destination + "-parked", Partitions.DEFAULT_COUNT, this.payload, events);
		}

		UUID insert(Connection connection, String key) throws Exception {
			UUID id = UUID.randomUUID();
			try (PreparedStatement statement = connection.prepareStatement("insert into "
					+ this.tables.qualifiedEventTable()
					+ " (id, aggregate_type, aggregate_id, event_type, destination, message_key, partition_no, payload, content_type, created_at, available_at)"
					+ " values (?, 'order', ?, 'bench', ?, ?, ?, ?, 'application/octet-stream', ?, ?)")) {
				Instant now = Instant.now();
				statement.setObject(1, id);
				statement.setString(2, key);
				statement.setString(3, this.destination);
				statement.setString(4, key);
				statement.setInt(5, Partitions.of(key, Partitions.DEFAULT_COUNT));
				statement.setBytes(6, this.payload);
				statement.setObject(7, now.atOffset(ZoneOffset.UTC));
				statement.setObject(8, now.atOffset(ZoneOffset.UTC));
				statement.executeUpdate();
			}
			return id;
		}

		int pending() {
			Integer count = this.jdbc.queryForObject(
					"select count(*) from " + this.tables.qualifiedEventTable() + " where status = 'PENDING'",
					Integer.class);
			return (count != null) ? count : 0;
		}

		@Override
		public void close() throws Exception {
			for (AutoCloseable closeable : this.closeables) {
				closeable.close();
			}
			this.database.drop(this.dataSource);
			this.dataSource.close();
		}

	}

}
