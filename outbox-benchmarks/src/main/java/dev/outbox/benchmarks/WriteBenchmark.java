package dev.outbox.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxEventType;
import dev.outbox.OutboxTables;
import dev.outbox.jdbc.JdbcOutbox;
import dev.outbox.spi.PayloadSerializer;
import dev.outbox.test.TestPostgres;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.persistence.autoconfigure.EntityScan;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.orm.jpa.SharedEntityManagerCreator;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The cost of the outbox on the write side, in a Spring Boot application with JPA:
 * <ol>
 * <li>overhead: transactions that insert one JPA entity, without and with one outbox
 * event (about 1 KB of JSON) recorded in the same transaction;</li>
 * <li>batch throughput: {@code publishAll} of 100 and 1000 events per transaction.</li>
 * </ol>
 * Options: {@code --transactions N} (measured transactions per variant, default 5000);
 * {@code --breakdown} adds two reference variants: one extra {@code select 1} round trip,
 * and a plain insert of an outbox row without the per-key lock.
 */
final class WriteBenchmark {

	private static final int ROUNDS = 10;

	private WriteBenchmark() {
	}

	static void run(String[] args) {
		int transactions = Benchmarks.intOption(args, "--transactions", 5000);
		TestPostgres.Database database = TestPostgres.newSchema();
		Map<String, Object> properties = Benchmarks.jpaApplicationProperties(database);
		properties.put("outbox.relay.enabled", "false");
		properties.put("outbox.consumer.enabled", "false");
		properties.put("spring.autoconfigure.exclude", PeerAutoConfigurations.PEERS);
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(BenchmarkApplication.class)
			.properties(properties)
			.run()) {
			try {
				new Run(context, transactions, List.of(args).contains("--breakdown")).all();
			}
			finally {
				database.drop(context.getBean(DataSource.class));
			}
		}
	}

	private static final class Run {

		private final TransactionTemplate transactions;

		private final EntityManager entityManager;

		private final Outbox outbox;

		private final Outbox outboxWithoutNotify;

		private final JdbcTemplate jdbc;

		private final PayloadSerializer serializer;

		private final int measured;

		private final boolean breakdown;

		private final AtomicLong ids = new AtomicLong();

		Run(ConfigurableApplicationContext context, int measured, boolean breakdown) {
			this.breakdown = breakdown;
			this.transactions = new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
			this.entityManager = SharedEntityManagerCreator
				.createSharedEntityManager(context.getBean(EntityManagerFactory.class));
			this.outbox = context.getBean(Outbox.class);
			this.outboxWithoutNotify = JdbcOutbox.builder(context.getBean(DataSource.class))
				.tables(context.getBean(OutboxTables.class))
				.serializer(context.getBean(PayloadSerializer.class))
				.notifyChannel(null)
				.build();
			this.jdbc = new JdbcTemplate(context.getBean(DataSource.class));
			this.serializer = context.getBean(PayloadSerializer.class);
			this.measured = measured;
		}

		void all() {
			int payloadSize = new dev.outbox.json.JacksonPayloadSerializer().serialize(payload(1)).length;
			System.out.printf("outbox write benchmark: %s, Java %s, %d CPUs, %s%n", java.time.LocalDate.now(),
					System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
					String.valueOf(this.jdbc.queryForObject("select version()", String.class))
						.replaceAll(" on .*", ""));
			System.out.printf("JVM: %s%n", ManagementFactory.getRuntimeMXBean().getInputArguments());
			overhead(payloadSize);
			batches();
			typicalOverhead();
		}

		private void overhead(int payloadSize) {
			List<Variant> variants = new ArrayList<>(List.of(new Variant("entity only", this::entityOnly),
					new Variant("entity + 1 event", () -> entityAndEvent(this.outbox)),
					new Variant("entity + 1 event, NOTIFY off", () -> entityAndEvent(this.outboxWithoutNotify))));
			if (this.breakdown) {
				variants.add(new Variant("entity + select 1 (one round trip)", this::entityAndSelect));
				variants.add(new Variant("entity + plain insert of the row (no lock)", this::entityAndPlainInsert));
			}
			measure(String.format("(a) Overhead per transaction (%%d transactions per variant, payload %d bytes JSON)",
					payloadSize), variants);
		}

		/**
		 * The same event on a more typical transaction: it reads an order, updates it and
		 * inserts another one (three statements and the commit, against one and the
		 * commit above), as a reference for what one more statement costs relatively.
		 */
		private void typicalOverhead() {
			long seed = this.ids.incrementAndGet();
			this.transactions.executeWithoutResult(
					(status) -> this.entityManager.persist(new BenchmarkOrder(seed, "customer-" + seed, 100)));
			measure("(c) Overhead on a transaction that reads an order, updates it and inserts another "
					+ "(%d transactions per variant)",
					List.of(new Variant("read + update + insert", () -> typical(seed, null)),
							new Variant("read + update + insert + 1 event", () -> typical(seed, this.outbox))));
		}

		private void typical(long seed, @Nullable Outbox target) {
			long id = this.ids.incrementAndGet();
			this.transactions.executeWithoutResult((status) -> {
				this.entityManager.find(BenchmarkOrder.class, seed).addToTotal(1);
				this.entityManager.persist(new BenchmarkOrder(id, "customer-" + id, 100));
				if (target != null) {
					target.publish(OutboxEvent.of("orders", id, payload(id)));
				}
			});
		}

		private void measure(String title, List<Variant> variants) {
			// warm up: JIT, connection pool, server-side prepared statements
			for (Variant variant : variants) {
				for (int i = 0; i < Math.max(1000, this.measured / 5); i++) {
					variant.transaction().run();
				}
			}
			// measure in interleaved rounds so that drift (autovacuum, caches) hits every
			// variant
			int perRound = Math.max(1, this.measured / ROUNDS);
			Map<Variant, long[]> nanos = new LinkedHashMap<>();
			variants.forEach((variant) -> nanos.put(variant, new long[perRound * ROUNDS]));
			for (int round = 0; round < ROUNDS; round++) {
				for (Variant variant : variants) {
					long[] samples = Objects.requireNonNull(nanos.get(variant));
					for (int i = 0; i < perRound; i++) {
						long start = System.nanoTime();
						variant.transaction().run();
						samples[round * perRound + i] = System.nanoTime() - start;
					}
				}
			}
			System.out.printf("%n" + title + "%n%n", perRound * ROUNDS);
			System.out.println("| variant | mean µs | p50 µs | p99 µs | overhead (mean) | overhead (p50) |");
			System.out.println("|---|---:|---:|---:|---:|---:|");
			Stats base = null;
			for (Map.Entry<Variant, long[]> entry : nanos.entrySet()) {
				Stats stats = Stats.of(entry.getValue());
				if (base == null) {
					base = stats;
					System.out.printf("| %s | %.0f | %.0f | %.0f | – | – |%n", entry.getKey().name(), stats.mean(),
							stats.p50(), stats.p99());
				}
				else {
					System.out.printf("| %s | %.0f | %.0f | %.0f | %+.1f%% | %+.1f%% |%n", entry.getKey().name(),
							stats.mean(), stats.p50(), stats.p99(), 100 * (stats.mean() / base.mean() - 1),
							100 * (stats.p50() / base.p50() - 1));
				}
			}
		}

		private void batches() {
			System.out.printf("%n(b) Batch write throughput (one transaction per batch)%n%n");
			System.out.println("| events per transaction | call | transactions | mean ms per transaction | events/s |");
			System.out.println("|---:|---|---:|---:|---:|");
			batch(100, true, 200);
			batch(1000, true, 40);
			batch(100, false, 100);
		}

		private void batch(int size, boolean publishAll, int count) {
			for (int i = 0; i < Math.max(5, count / 5); i++) {
				publishBatch(size, publishAll);
			}
			long[] samples = new long[count];
			for (int i = 0; i < count; i++) {
				long start = System.nanoTime();
				publishBatch(size, publishAll);
				samples[i] = System.nanoTime() - start;
			}
			long total = 0;
			for (long sample : samples) {
				total += sample;
			}
			double seconds = total / 1e9;
			System.out.printf("| %d | %s | %d | %.1f | %,.0f |%n", size,
					publishAll ? "publishAll" : "publish × " + size, count, seconds * 1000 / count,
					size * (double) count / seconds);
		}

		private void publishBatch(int size, boolean publishAll) {
			List<OutboxEvent> events = new ArrayList<>(size);
			for (int i = 0; i < size; i++) {
				long id = this.ids.incrementAndGet();
				events.add(OutboxEvent.of("orders", id, payload(id)));
			}
			this.transactions.executeWithoutResult((status) -> {
				if (publishAll) {
					this.outbox.publishAll(events);
				}
				else {
					events.forEach(this.outbox::publish);
				}
			});
		}

		private void entityOnly() {
			long id = this.ids.incrementAndGet();
			this.transactions.executeWithoutResult(
					(status) -> this.entityManager.persist(new BenchmarkOrder(id, "customer-" + id, 100)));
		}

		private void entityAndEvent(Outbox target) {
			long id = this.ids.incrementAndGet();
			this.transactions.executeWithoutResult((status) -> {
				this.entityManager.persist(new BenchmarkOrder(id, "customer-" + id, 100));
				target.publish(OutboxEvent.of("orders", id, payload(id)));
			});
		}

		private void entityAndSelect() {
			long id = this.ids.incrementAndGet();
			this.transactions.executeWithoutResult((status) -> {
				this.entityManager.persist(new BenchmarkOrder(id, "customer-" + id, 100));
				this.jdbc.queryForObject("select 1", Integer.class);
			});
		}

		private void entityAndPlainInsert() {
			long id = this.ids.incrementAndGet();
			byte[] payload = this.serializer.serialize(payload(id));
			this.transactions.executeWithoutResult((status) -> {
				this.entityManager.persist(new BenchmarkOrder(id, "customer-" + id, 100));
				this.jdbc.update("insert into outbox_event (id, aggregate_type, aggregate_id, event_type, destination, "
						+ "message_key, partition_no, payload, content_type, created_at, available_at) "
						+ "values (?, 'orders', ?, 'order-placed', 'orders', ?, 1, ?, 'application/json', now(), now())",
						java.util.UUID.randomUUID(), String.valueOf(id), String.valueOf(id), payload);
			});
		}

	}

	/**
	 * The event of every benchmark that writes JSON: about 1 KB once serialized.
	 * @param id the order id, also the message key
	 * @return the event
	 */
	static OrderPlaced payload(long id) {
		List<Line> lines = new ArrayList<>();
		for (int i = 0; i < 8; i++) {
			lines.add(new Line("SKU-" + (100000 + i), "Product number " + i + " of the benchmark order", 1 + i,
					1999 + i));
		}
		return new OrderPlaced(id, "customer-" + id, "EUR", 24_990, lines, "Deliver to the back door, ring twice.");
	}

	private record Variant(String name, Runnable transaction) {
	}

	/**
	 * An order was placed: the payload of the benchmarks' events.
	 */
	@OutboxEventType("order-placed")
	record OrderPlaced(long orderId, String customer, String currency, int total, List<Line> lines, String note) {
	}

	record Line(String sku, String title, int quantity, int unitPrice) {
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@EntityScan(basePackageClasses = BenchmarkOrder.class)
	static class BenchmarkApplication {

	}

}
