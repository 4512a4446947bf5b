package dev.outbox.fault;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxHeaders;
import dev.outbox.amqp.RabbitOutboxSender;
import dev.outbox.jdbc.JdbcOutbox;
import dev.outbox.kafka.KafkaOutboxSender;
import dev.outbox.relay.KafkaTestClient;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.relay.RelayFixture;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxRelayListener;
import dev.outbox.test.CpuLoad;
import dev.outbox.test.KafkaBrokerProcess;
import dev.outbox.test.TcpProxy;
import dev.outbox.test.TestRabbit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker goes away for longer than the sender's timeouts while writers keep
 * committing, then comes back: a Kafka broker in a child JVM killed and restarted on the
 * same port and log directory, and the real RabbitMQ behind a {@link TcpProxy} that is
 * cut and restored. Sends fail during the outage and are retried, nothing is parked,
 * every committed event arrives at least once, nothing rolled back ever does, the first
 * deliveries of each key are in commit order, the idempotent consumer makes one effect
 * per event, and every row ends published.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
@ExtendWith(CpuLoad.Extension.class)
class BrokerOutageIntegrationTests {

	@Parameter
	String product;

	private static final String EVENT_TYPE = "outage-event";

	/** The Kafka producer's delivery, blocking and (half of it) request timeout. */
	private static final Duration PRODUCER_TIMEOUT = Duration.ofSeconds(3);

	private static final int WRITERS = 2;

	private static final int KEYS_PER_WRITER = 4;

	private RelayFixture fixture;

	private final FailureListener listener = new FailureListener();

	private final Map<String, Event> committed = new ConcurrentHashMap<>();

	private final Set<String> rolledBack = ConcurrentHashMap.newKeySet();

	private final List<AutoCloseable> resources = new ArrayList<>();

	@BeforeEach
	void setUp() {
		this.fixture = new RelayFixture(this.product);
	}

	@AfterEach
	void tearDown() throws Exception {
		if (this.fixture == null) {
			return; // skipped before the fixture: a server this machine does not have
		}
		try {
			for (int i = this.resources.size() - 1; i >= 0; i--) {
				this.resources.get(i).close();
			}
		}
		finally {
			this.fixture.close();
		}
	}

	@Test
	void kafkaBrokerKilledForLongerThanTheProducerTimeoutsThenRestartedLosesNothing() throws Exception {
		kafkaOutage(false);
	}

	/**
	 * The broker process is frozen (SIGSTOP): connections stay open and nothing answers,
	 * so sends run into the producer's request and delivery timeouts rather than refused
	 * connections; then it runs on (SIGCONT) with the requests it had received.
	 */
	@Test
	@DisabledOnOs(OS.WINDOWS)
	void kafkaBrokerHangingForLongerThanTheProducerTimeoutsThenResumingLosesNothing() throws Exception {
		kafkaOutage(true);
	}

	private void kafkaOutage(boolean hang) throws Exception {
		KafkaBrokerProcess broker = new KafkaBrokerProcess();
		this.resources.add(broker);
		broker.start();
		String topic = "outage-" + UUID.randomUUID();
		KafkaTemplate<String, byte[]> template = KafkaTestClient.template(broker.bootstrapServers(), PRODUCER_TIMEOUT);
		this.resources.add(() -> template.getProducerFactory().reset());
		OutboxRelay relay = started(this.fixture.relay()
			.sender(new KafkaOutboxSender(template))
			.sendTimeout(Duration.ofSeconds(2))
			.leaseDuration(Duration.ofSeconds(10)));
		// four times the producer's delivery timeout, so sends time out several times
		Duration outage = PRODUCER_TIMEOUT.multipliedBy(4);
		if (hang) {
			runOutage(relay, topic, outage, broker::pause, broker::resume);
		}
		else {
			runOutage(relay, topic, outage, broker::stop, broker::start);
		}
		assertThat(this.listener.errorsBetween(this.listener.down, this.listener.up))
			.anySatisfy((error) -> assertThat(error).contains("org.apache.kafka.common.errors.TimeoutException"));
		List<Delivery> deliveries = new ArrayList<>();
		try (KafkaTestClient client = new KafkaTestClient(broker.bootstrapServers(), topic)) {
			await().atMost(Duration.ofSeconds(60)).until(() -> {
				deliveries.clear();
				client.poll()
					.forEach((record) -> deliveries
						.add(new Delivery(KafkaTestClient.header(record, OutboxHeaders.MESSAGE_ID), record.key(),
								KafkaTestClient.value(record))));
				return ids(deliveries).keySet().containsAll(this.committed.keySet());
			});
		}
		assertDeliveryGuarantees(deliveries);
	}

	@Test
	void rabbitConnectionCutForLongerThanTheSendTimeoutThenRestoredLosesNothing() throws Exception {
		rabbitOutage(false);
	}

	/**
	 * The connection stays open but nothing moves (a partition, a stalled broker): no
	 * confirm arrives, so every send runs into the relay's send timeout; on recovery the
	 * held messages and their late confirms arrive next to the retries.
	 */
	@Test
	void rabbitConnectionHangingWithoutConfirmsForLongerThanTheSendTimeoutLosesNothing() throws Exception {
		rabbitOutage(true);
	}

	private void rabbitOutage(boolean hang) throws Exception {
		TestRabbit.Broker broker = TestRabbit.broker();
		String suffix = UUID.randomUUID().toString();
		String exchange = "outage-x-" + suffix;
		String queue = "outage-q-" + suffix;
		CachingConnectionFactory adminConnections = connectionFactory(broker.host(), broker.port());
		this.resources.add(adminConnections::destroy);
		RabbitAdmin admin = new RabbitAdmin(adminConnections);
		DirectExchange directExchange = new DirectExchange(exchange, false, true);
		Queue boundQueue = new Queue(queue, false, false, true);
		admin.declareExchange(directExchange);
		admin.declareQueue(boundQueue);
		admin.declareBinding(BindingBuilder.bind(boundQueue).to(directExchange).with(EVENT_TYPE));
		this.resources.add(() -> {
			admin.deleteQueue(queue);
			admin.deleteExchange(exchange);
		});
		TcpProxy proxy = new TcpProxy(broker.host(), broker.port());
		this.resources.add(proxy);
		CachingConnectionFactory senderConnections = connectionFactory(broker.host(), proxy.port());
		senderConnections.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
		senderConnections.setPublisherReturns(true);
		senderConnections.setConnectionTimeout(1000);
		// as the starter does: a channel open on a hanging connection gives up after the
		// send timeout instead of blocking the relay for the client's default 10 minutes
		senderConnections.getRabbitConnectionFactory().setChannelRpcTimeout(1000);
		this.resources.add(senderConnections::destroy);
		Duration sendTimeout = Duration.ofSeconds(1);
		OutboxRelay relay = started(this.fixture.relay()
			.sender(new RabbitOutboxSender(new RabbitTemplate(senderConnections)))
			.sendTimeout(sendTimeout)
			.leaseDuration(Duration.ofSeconds(6)));
		if (hang) {
			runOutage(relay, exchange, sendTimeout.multipliedBy(6), proxy::freeze, proxy::thaw);
			assertThat(this.listener.errorsBetween(this.listener.down, this.listener.up))
				.anySatisfy((error) -> assertThat(error).contains("No broker confirm within the send timeout"));
		}
		else {
			runOutage(relay, exchange, sendTimeout.multipliedBy(6), proxy::cut, proxy::restore);
		}
		RabbitTemplate receiver = new RabbitTemplate(adminConnections);
		List<Delivery> deliveries = new ArrayList<>();
		await().atMost(Duration.ofSeconds(60)).until(() -> {
			Message message;
			while ((message = receiver.receive(queue)) != null) {
				Map<String, Object> headers = message.getMessageProperties().getHeaders();
				deliveries.add(new Delivery(message.getMessageProperties().getMessageId(),
						(String) headers.get(OutboxHeaders.AGGREGATE_ID),
						new String(message.getBody(), StandardCharsets.UTF_8)));
			}
			return ids(deliveries).keySet().containsAll(this.committed.keySet());
		});
		assertDeliveryGuarantees(deliveries);
	}

	/**
	 * Writers commit (and roll back) events all along while the relay delivers them; once
	 * some are published the broker goes down for {@code outage} and sends are seen
	 * failing, then it comes back, the writers go on for a while and stop, and the relay
	 * publishes everything.
	 */
	private void runOutage(OutboxRelay relay, String destination, Duration outage, ThrowingAction down,
			ThrowingAction up) throws Exception {
		JdbcOutbox outbox = JdbcOutbox.builder(this.fixture.dataSource)
			.tables(this.fixture.tables)
			.notifyChannel(null)
			.commitListeners(List.of(relay::wakeUp))
			.build();
		Writers writers = new Writers(outbox, destination);
		writers.start();
		try {
			await().atMost(Duration.ofSeconds(30)).until(() -> this.fixture.count("status = 'PUBLISHED'") >= 20);
			down.run();
			Instant downAt = Instant.now();
			this.listener.down = downAt;
			int writtenBeforeOutage = writers.transactions.get();
			// Hold the outage for its full length, with events written meanwhile, until
			// every key failed and was retried: a batch fails within about one sender
			// timeout (a key backing off may miss a batch, so one attempt per two of
			// them), it does not block once per key.
			await().atMost(outage.plus(Duration.ofSeconds(13))).untilAsserted(() -> {
				assertThat(Duration.between(downAt, Instant.now())).isGreaterThanOrEqualTo(outage);
				assertThat(writers.transactions.get()).isGreaterThan(writtenBeforeOutage + 10);
				assertThat(pendingKeys("attempts >= 2")).as(this::failingRows).isEqualTo(WRITERS * KEYS_PER_WRITER);
			});
			assertThat(this.listener.parked).isEmpty();
			up.run();
			this.listener.up = Instant.now();
			int writtenBeforeRestore = writers.transactions.get();
			await().atMost(Duration.ofSeconds(30)).until(() -> writers.transactions.get() > writtenBeforeRestore + 20);
		}
		finally {
			writers.stop();
		}
		assertThat(this.listener.errorsBetween(this.listener.down, this.listener.up)).isNotEmpty();
		awaitAllPublished();
		assertThat(this.fixture.count("true")).isEqualTo(this.committed.size());
		assertThat(this.listener.parked).isEmpty();
	}

	/**
	 * Wait until every row is published, as long as the relay keeps publishing. The
	 * backlog written during the outage grows with the time the broker takes to come back
	 * (over a minute on a loaded machine) and each key's events go out one confirm after
	 * the other, so a fixed deadline would measure the machine; a relay that publishes
	 * nothing for 30 s fails.
	 */
	private void awaitAllPublished() {
		String unpublished = "status <> 'PUBLISHED'";
		int pending = this.fixture.count(unpublished);
		while (pending > 0) {
			int before = pending;
			await().alias("the relay published none of " + before + " rows within 30 s")
				.atMost(Duration.ofSeconds(30))
				.until(() -> this.fixture.count(unpublished) < before);
			pending = this.fixture.count(unpublished);
		}
	}

	private String failingRows() {
		return "pending rows that failed: " + this.fixture.jdbc.queryForList("select message_key, seq, attempts, "
				+ "available_at, left(last_error, 160) as last_error from " + this.fixture.tables.qualifiedEventTable()
				+ " where status = 'PENDING' and attempts > 0 order by message_key, seq");
	}

	private int pendingKeys(String where) {
		Integer count = this.fixture.jdbc.queryForObject("select count(distinct message_key) from "
				+ this.fixture.tables.qualifiedEventTable() + " where status = 'PENDING' and " + where, Integer.class);
		return (count != null) ? count : 0;
	}

	private void assertDeliveryGuarantees(List<Delivery> deliveries) {
		Map<String, Long> copies = ids(deliveries);
		assertThat(copies.keySet()).containsExactlyInAnyOrderElementsOf(this.committed.keySet())
			.doesNotContainAnyElementsOf(this.rolledBack);
		Set<String> seen = ConcurrentHashMap.newKeySet();
		Map<String, List<Integer>> firstDeliveries = new LinkedHashMap<>();
		for (Delivery delivery : deliveries) {
			if (seen.add(delivery.id())) {
				Event event = this.committed.get(delivery.id());
				assertThat(delivery.key()).isEqualTo(event.key());
				assertThat(delivery.value()).isEqualTo(String.valueOf(event.sequence()));
				firstDeliveries.computeIfAbsent(delivery.key(), (k) -> new ArrayList<>()).add(event.sequence());
			}
		}
		assertThat(firstDeliveries).hasSize(WRITERS * KEYS_PER_WRITER);
		firstDeliveries.forEach((key, sequences) -> assertThat(sequences).as(key)
			.containsExactlyElementsOf(IntStream.range(0, sequences.size()).boxed().toList()));
		ExactlyOnceEffects.assertOnePerEvent(this.fixture, deliveries.stream().map(Delivery::id).toList(),
				this.committed.keySet());
	}

	private OutboxRelay started(OutboxRelay.Builder builder) {
		OutboxRelay relay = builder.maxAttempts(100_000)
			.retention(Duration.ofHours(1))
			.listener(this.listener)
			.instanceId("outage-relay")
			.build();
		this.resources.add(relay::stop);
		relay.start();
		return relay;
	}

	private static CachingConnectionFactory connectionFactory(String host, int port) {
		TestRabbit.Broker broker = TestRabbit.broker();
		CachingConnectionFactory connectionFactory = new CachingConnectionFactory(host, port);
		connectionFactory.setUsername(broker.username());
		connectionFactory.setPassword(broker.password());
		return connectionFactory;
	}

	private static Map<String, Long> ids(List<Delivery> deliveries) {
		return deliveries.stream().collect(Collectors.groupingBy(Delivery::id, Collectors.counting()));
	}

	/**
	 * Threads that each own some keys and commit transactions of two events (of two of
	 * its keys) until stopped; every fifth transaction is rolled back.
	 */
	private final class Writers {

		private final JdbcOutbox outbox;

		private final TransactionTemplate transactionTemplate;

		private final String destination;

		/** Committed transactions so far. */
		private final AtomicInteger transactions = new AtomicInteger();

		private final AtomicReference<Throwable> failure = new AtomicReference<>();

		private final List<Thread> threads = new ArrayList<>();

		private volatile boolean running = true;

		Writers(JdbcOutbox outbox, String destination) {
			this.outbox = outbox;
			this.transactionTemplate = new TransactionTemplate(
					new DataSourceTransactionManager(BrokerOutageIntegrationTests.this.fixture.dataSource));
			this.destination = destination;
		}

		void start() {
			for (int w = 0; w < WRITERS; w++) {
				int writer = w;
				Thread thread = new Thread(() -> {
					try {
						write(writer);
					}
					catch (Throwable ex) {
						this.failure.compareAndSet(null, ex);
					}
				}, "outage-writer-" + w);
				thread.setDaemon(true);
				this.threads.add(thread);
				thread.start();
			}
		}

		private void write(int writer) {
			int[] next = new int[KEYS_PER_WRITER];
			for (int t = 0; this.running; t++) {
				boolean rollback = (t % 5 == 4);
				Map<String, Event> written = new LinkedHashMap<>();
				int first = t % KEYS_PER_WRITER;
				this.transactionTemplate.executeWithoutResult((status) -> {
					for (int k : new int[] { first, (first + 1) % KEYS_PER_WRITER }) {
						String key = "w" + writer + "-k" + k;
						int sequence = rollback ? -1 : next[k];
						UUID id = this.outbox.publish(OutboxEvent.builder(this.destination)
							.aggregate("outage", key)
							.eventType(EVENT_TYPE)
							.payload(sequence)
							.build());
						written.put(id.toString(), new Event(key, sequence));
					}
					if (rollback) {
						status.setRollbackOnly();
					}
				});
				if (rollback) {
					BrokerOutageIntegrationTests.this.rolledBack.addAll(written.keySet());
				}
				else {
					next[first]++;
					next[(first + 1) % KEYS_PER_WRITER]++;
					BrokerOutageIntegrationTests.this.committed.putAll(written);
					this.transactions.incrementAndGet();
				}
				LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
			}
		}

		void stop() throws InterruptedException {
			this.running = false;
			for (Thread thread : this.threads) {
				thread.join(30_000);
				assertThat(thread.isAlive()).as(thread.getName()).isFalse();
			}
			assertThat(this.failure.get()).isNull();
		}

	}

	/** An event id's key and sequence number within the key (from 0, commit order). */
	private record Event(String key, int sequence) {
	}

	/** A message as a consumer received it. */
	private record Delivery(String id, String key, String value) {
	}

	@FunctionalInterface
	private interface ThrowingAction {

		void run() throws Exception;

	}

	/**
	 * Records the relay's failure callbacks with their time, and any parked event.
	 */
	private static final class FailureListener implements OutboxRelayListener {

		private final List<Failure> failures = new CopyOnWriteArrayList<>();

		private final List<String> parked = new CopyOnWriteArrayList<>();

		private volatile Instant down = Instant.MAX;

		private volatile Instant up = Instant.MAX;

		@Override
		public void onFailed(OutboxMessage message, int attempts, String error) {
			this.failures.add(new Failure(Instant.now(), error));
		}

		@Override
		public void onParked(OutboxMessage message, int attempts, String error) {
			this.parked.add(message.id() + ": " + error);
		}

		List<String> errorsBetween(Instant from, Instant to) {
			return this.failures.stream()
				.filter((failure) -> !failure.at().isBefore(from) && !failure.at().isAfter(to))
				.map(Failure::error)
				.toList();
		}

		private record Failure(Instant at, String error) {
		}

	}

}
