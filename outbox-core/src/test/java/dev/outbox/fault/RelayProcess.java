package dev.outbox.fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
import dev.outbox.test.TestPostgres;

/**
 * A relay in its own JVM, for tests that kill it. Arguments: JDBC URL, user, password,
 * schema, Kafka bootstrap servers, instance id, lease millis, batch size, and the number
 * of the fully confirmed batch after which the JVM halts (0: never).
 */
final class RelayProcess {

	/** Exit status of a deliberate halt after confirms. */
	static final int HALT_STATUS = 86;

	static final String STARTED = "relay started";

	static final String HALTED_IDS = "halting after confirms of:";

	private RelayProcess() {
	}

	public static void main(String[] args) throws InterruptedException {
		TestPostgres.Database database = new TestPostgres.Database(args[0], args[1], args[2], args[3]);
		String bootstrapServers = args[4];
		String instanceId = args[5];
		Duration lease = Duration.ofMillis(Long.parseLong(args[6]));
		int batchSize = Integer.parseInt(args[7]);
		int haltAfterBatch = Integer.parseInt(args[8]);
		OutboxSender sender = new KafkaOutboxSender(KafkaTestClient.template(bootstrapServers, Duration.ofSeconds(5)));
		if (haltAfterBatch > 0) {
			sender = new HaltingSender(sender, haltAfterBatch);
		}
		OutboxRelay relay = OutboxRelay
			.builder(database.dataSource(), new OutboxTables(args[3], "outbox_event", "outbox_processed_message"))
			.partitions(Partitions.DEFAULT_COUNT)
			.pollInterval(Duration.ofMillis(100))
			.sendTimeout(Duration.ofSeconds(1))
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
	private static final class HaltingSender implements OutboxSender {

		private final OutboxSender delegate;

		private final int haltAfterBatch;

		private final AtomicInteger confirmedBatches = new AtomicInteger();

		HaltingSender(OutboxSender delegate, int haltAfterBatch) {
			this.delegate = delegate;
			this.haltAfterBatch = haltAfterBatch;
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
			if (confirmed && this.confirmedBatches.incrementAndGet() == this.haltAfterBatch) {
				List<String> ids = new ArrayList<>();
				messages.forEach((message) -> ids.add(message.id().toString()));
				System.out.println(HALTED_IDS + " " + String.join(",", ids));
				System.out.flush();
				Runtime.getRuntime().halt(HALT_STATUS);
			}
			return futures;
		}

	}

}
