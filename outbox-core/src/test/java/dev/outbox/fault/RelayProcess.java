package dev.outbox.fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import dev.outbox.OutboxTables;
import dev.outbox.kafka.KafkaOutboxSender;
import dev.outbox.relay.KafkaTestClient;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;
import dev.outbox.spi.Partitions;
import dev.outbox.test.TestDatabase;
import dev.outbox.test.TestMariaDb;
import dev.outbox.test.TestPostgres;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * A relay in its own JVM, for tests that kill it. Arguments: JDBC URL, user, password,
 * schema, Kafka bootstrap servers, instance id, lease millis, batch size, and the number
 * of the fully confirmed batch after which the relay stops short (0: never), and how:
 * {@code halt} halts the JVM, {@code block} blocks the relay thread so the test can kill
 * the JVM with a batch confirmed by the broker but not yet marked published. An optional
 * last argument sets the producer's {@code max.request.size} (for large events) and a
 * send timeout of 5 s instead of 1 s.
 */
final class RelayProcess {

	/** Exit status of a deliberate halt after confirms. */
	static final int HALT_STATUS = 86;

	static final String STARTED = "relay started";

	static final String STOPPED_IDS = "stopping after confirms of:";

	/**
	 * The system property naming the database: {@code postgresql} (default),
	 * {@code mariadb} or {@code mysql}.
	 */
	static final String PRODUCT = "outbox.test.product";

	private RelayProcess() {
	}

	public static void main(String[] args) throws InterruptedException {
		// the parent's RelayFixture product: PostgreSQL unless it says MariaDB or MySQL
		String product = System.getProperty(PRODUCT, "postgresql");
		TestDatabase database = product.equals("postgresql")
				? new TestPostgres.Database(args[0], args[1], args[2], args[3])
				: new TestMariaDb.Database(product, args[0], args[1], args[2], args[3]);
		String bootstrapServers = args[4];
		String instanceId = args[5];
		Duration lease = Duration.ofMillis(Long.parseLong(args[6]));
		int batchSize = Integer.parseInt(args[7]);
		int stopAfterBatch = Integer.parseInt(args[8]);
		boolean halt = args[9].equals("halt");
		Map<String, Object> producer = (args.length > 10)
				? Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.parseInt(args[10])) : Map.of();
		Duration sendTimeout = Duration.ofSeconds((args.length > 10) ? 5 : 1);
		OutboxSender sender = new KafkaOutboxSender(
				KafkaTestClient.template(bootstrapServers, Duration.ofSeconds(5), producer));
		if (stopAfterBatch > 0) {
			sender = new StoppingSender(sender, stopAfterBatch, halt);
		}
		OutboxRelay relay = OutboxRelay
			.builder(database.dataSource(), new OutboxTables(args[3], "outbox_event", "outbox_processed_message"))
			.partitions(Partitions.DEFAULT_COUNT)
			.pollInterval(Duration.ofMillis(100))
			.sendTimeout(sendTimeout)
			.leaseDuration(lease)
			.batchSize(batchSize)
			.backoff(Duration.ofMillis(50), 2.0, Duration.ofMillis(200), 0.0)
			.instanceId(instanceId)
			.sender(sender)
			.build();
		relay.start();
		System.out.println(STARTED + " " + instanceId);
		System.out.flush();
		new CountDownLatch(1).await();
	}

	/**
	 * Delegates to the real sender; it waits for each batch's broker confirms and, after
	 * the Nth fully confirmed batch, halts the JVM, before the relay can mark the batch
	 * published.
	 */
	private static final class StoppingSender implements OutboxSender {

		private final OutboxSender delegate;

		private final int stopAfterBatch;

		private final boolean halt;

		private final AtomicInteger confirmedBatches = new AtomicInteger();

		StoppingSender(OutboxSender delegate, int stopAfterBatch, boolean halt) {
			this.delegate = delegate;
			this.stopAfterBatch = stopAfterBatch;
			this.halt = halt;
		}

		@Override
		public String name() {
			return this.delegate.name();
		}

		@Override
		public CompletableFuture<Void> send(OutboxMessage message) {
			return sendAll(List.of(message)).get(0);
		}

		@Override
		public List<CompletableFuture<Void>> sendAll(List<OutboxMessage> messages) {
			List<CompletableFuture<Void>> futures = this.delegate.sendAll(messages);
			if (messages.isEmpty()) {
				return futures;
			}
			boolean confirmed = CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
				.handle((ignored, failure) -> failure == null)
				.join();
			if (confirmed && this.confirmedBatches.incrementAndGet() == this.stopAfterBatch) {
				List<String> ids = new ArrayList<>();
				messages.forEach((message) -> ids.add(message.id().toString()));
				System.out.println(STOPPED_IDS + " " + String.join(",", ids));
				System.out.flush();
				if (this.halt) {
					Runtime.getRuntime().halt(HALT_STATUS);
				}
				blockForever();
			}
			return futures;
		}

		private static void blockForever() {
			try {
				new CountDownLatch(1).await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

	}

}
