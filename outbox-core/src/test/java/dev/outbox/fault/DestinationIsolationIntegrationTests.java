package dev.outbox.fault;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import dev.outbox.OutboxHeaders;
import dev.outbox.amqp.RabbitOutboxSender;
import dev.outbox.kafka.KafkaOutboxSender;
import dev.outbox.relay.KafkaTestClient;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.relay.RelayFixture;
import dev.outbox.spi.NotAttemptedException;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxRelayListener;
import dev.outbox.spi.OutboxSender;
import dev.outbox.test.TestKafka;
import dev.outbox.test.TestRabbit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
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
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One destination's failure never fails, counts against or parks another destination's
 * events: writers commit events to a healthy destination and to one that does not exist
 * (a RabbitMQ exchange never declared, a Kafka topic on a broker that does not create
 * topics), side by side, for several seconds while the relay runs. Every healthy event is
 * delivered, in order per key, without a single failed attempt, while the missing
 * destination's events fail and are parked.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
class DestinationIsolationIntegrationTests {

	@Parameter
	String product;

	private static final Duration SEND_TIMEOUT = Duration.ofSeconds(5);

	private static final Duration WRITING = Duration.ofSeconds(6);

	/** Healthy events written at least, however slow the machine. */
	private static final int MIN_HEALTHY = 200;

	/** The longest the writers go on to reach {@link #MIN_HEALTHY}. */
	private static final Duration MAX_WRITING = Duration.ofSeconds(40);

	/**
	 * How soon after the writers stop every healthy event is delivered: far less than the
	 * time the relay took when every batch waited a send timeout for the missing
	 * destination.
	 */
	private static final Duration CATCH_UP = Duration.ofSeconds(20);

	private static final int HEALTHY_KEYS = 20;

	private static final int WRITERS = 2;

	private RelayFixture fixture;

	private final Failures failures = new Failures();

	/** Committed healthy events: id to key and sequence within the key. */
	private final Map<String, Event> healthy = new ConcurrentHashMap<>();

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
	void rabbitExchangeThatDoesNotExistFailsOnlyItsOwnEvents() throws Exception {
		TestRabbit.Broker broker = TestRabbit.broker();
		String suffix = UUID.randomUUID().toString();
		String exchange = "isolation-x-" + suffix;
		String queue = "isolation-q-" + suffix;
		CachingConnectionFactory adminConnections = connectionFactory(broker);
		this.resources.add(adminConnections::destroy);
		RabbitAdmin admin = new RabbitAdmin(adminConnections);
		DirectExchange directExchange = new DirectExchange(exchange, false, true);
		Queue boundQueue = new Queue(queue, false, false, true);
		admin.declareExchange(directExchange);
		admin.declareQueue(boundQueue);
		admin.declareBinding(BindingBuilder.bind(boundQueue).to(directExchange).with("order-placed"));
		this.resources.add(() -> {
			admin.deleteQueue(queue);
			admin.deleteExchange(exchange);
		});
		CachingConnectionFactory senderConnections = connectionFactory(broker);
		senderConnections.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
		senderConnections.setPublisherReturns(true);
		// as the starter does
		senderConnections.getRabbitConnectionFactory().setChannelRpcTimeout((int) SEND_TIMEOUT.toMillis());
		this.resources.add(senderConnections::destroy);
		RabbitTemplate receiver = new RabbitTemplate(adminConnections);
		List<Delivery> deliveries = new ArrayList<>();
		runIsolation(new RabbitOutboxSender(new RabbitTemplate(senderConnections)), exchange,
				"isolation-missing-" + suffix, () -> {
					Message message;
					while ((message = receiver.receive(queue)) != null) {
						deliveries.add(new Delivery(message.getMessageProperties().getMessageId(),
								(String) message.getMessageProperties().getHeaders().get(OutboxHeaders.AGGREGATE_ID),
								new String(message.getBody(), StandardCharsets.UTF_8)));
					}
					return deliveries;
				});
	}

	@Test
	void kafkaTopicThatDoesNotExistOnABrokerThatCreatesNoTopicsFailsOnlyItsOwnEvents() throws Exception {
		String topic = "isolation-" + UUID.randomUUID();
		EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 4, topic);
		broker.brokerProperties(Map.of("auto.create.topics.enable", "false", "num.partitions", "4"));
		broker.afterPropertiesSet();
		this.resources.add(broker::destroy);
		KafkaTemplate<String, byte[]> template = KafkaTestClient.template(broker.getBrokersAsString(), SEND_TIMEOUT);
		this.resources.add(() -> template.getProducerFactory().reset());
		KafkaTestClient client = new KafkaTestClient(broker.getBrokersAsString(), topic);
		this.resources.add(client);
		runIsolation(new KafkaOutboxSender(template), topic, "isolation-missing-" + UUID.randomUUID(),
				() -> client.poll()
					.stream()
					.map((r) -> new Delivery(KafkaTestClient.header(r, OutboxHeaders.MESSAGE_ID), r.key(),
							KafkaTestClient.value(r)))
					.toList());
	}

	@Test
	void eventFailedAsCollateralCountsNoAttemptAndIsNeverParked() throws Exception {
		String topic = "isolation-collateral-" + UUID.randomUUID();
		KafkaTemplate<String, byte[]> template = KafkaTestClient.template(TestKafka.bootstrapServers(), SEND_TIMEOUT);
		this.resources.add(() -> template.getProducerFactory().reset());
		KafkaTestClient client = new KafkaTestClient(TestKafka.bootstrapServers(), topic);
		this.resources.add(client);
		KafkaOutboxSender real = new KafkaOutboxSender(template);
		AtomicInteger collateral = new AtomicInteger();
		OutboxSender sender = new OutboxSender() {

			@Override
			public String name() {
				return real.name();
			}

			@Override
			public CompletableFuture<Void> send(OutboxMessage message) {
				return sendAll(List.of(message)).get(0);
			}

			@Override
			public List<CompletableFuture<Void>> sendAll(List<OutboxMessage> messages) {
				if (collateral.get() < 3) {
					collateral.incrementAndGet();
					return messages.stream()
						.map((m) -> CompletableFuture.<Void>failedFuture(
								new NotAttemptedException("lost with another destination's channel", null)))
						.toList();
				}
				return real.sendAll(messages);
			}

		};
		// one counted failure would park the event
		OutboxRelay relay = this.fixture.relay()
			.sender(sender)
			.maxAttempts(1)
			.retention(Duration.ofHours(1))
			.listener(this.failures)
			.build();
		this.resources.add(relay::stop);
		UUID first = this.fixture.insert(topic, "key-c", "c1");
		UUID second = this.fixture.insert(topic, "key-c", "c2");
		relay.start();
		await().atMost(Duration.ofSeconds(30))
			.until(() -> this.fixture.count("status = 'PUBLISHED'") == 2
					|| this.fixture.count("status = 'PARKED'") > 0);
		assertThat(collateral).hasValue(3);
		assertThat(this.failures.of(topic)).isEmpty();
		assertThat(this.fixture.row(first)).containsEntry("status", "PUBLISHED").containsEntry("attempts", 0);
		assertThat((String) this.fixture.row(first).get("last_error")).contains("NotAttemptedException")
			.contains("lost with another destination's channel");
		assertThat(this.fixture.row(second)).containsEntry("status", "PUBLISHED").containsEntry("attempts", 0);
		await().atMost(Duration.ofSeconds(30)).until(() -> client.poll().size() >= 2);
		assertThat(client.poll().stream().map(KafkaTestClient::value).toList()).containsExactly("c1", "c2");
	}

	/**
	 * Write events to both destinations for a while with the relay running, then check
	 * that every healthy event was delivered in order without a failed attempt and that
	 * the missing destination's events were parked.
	 */
	private void runIsolation(OutboxSender sender, String healthyDestination, String missingDestination,
			Supplier<List<Delivery>> received) throws Exception {
		OutboxRelay relay = this.fixture.relay()
			.sender(sender)
			.sendTimeout(SEND_TIMEOUT)
			.maxAttempts(3)
			.retention(Duration.ofHours(1))
			.listener(this.failures)
			.build();
		this.resources.add(relay::stop);
		relay.start();
		write(healthyDestination, missingDestination);
		assertThat(this.healthy.size()).isGreaterThanOrEqualTo(MIN_HEALTHY);
		// healthy events flow all along, whatever the missing destination's events cost:
		// the relay has caught up shortly after the writers stop
		List<Delivery> deliveries = new ArrayList<>();
		await().atMost(CATCH_UP)
			.failFast("a healthy event failed", () -> assertThat(this.failures.of(healthyDestination)).isEmpty())
			.untilAsserted(() -> {
				deliveries.clear();
				deliveries.addAll(received.get());
				assertThat(deliveries.stream().map(Delivery::id).distinct().count()).as("healthy events delivered")
					.isEqualTo(this.healthy.size());
				assertThat(this.fixture.count("destination = '" + healthyDestination + "' and status <> 'PUBLISHED'"))
					.as("healthy events not marked published")
					.isZero();
			});
		assertThat(this.failures.of(healthyDestination)).isEmpty();
		assertThat(this.fixture.count("destination = '" + healthyDestination + "' and attempts > 0")).isZero();
		Map<String, List<Integer>> firstDeliveries = new LinkedHashMap<>();
		deliveries.stream().map(Delivery::id).distinct().forEach((id) -> {
			Event event = this.healthy.get(id);
			assertThat(event).as(id).isNotNull();
			firstDeliveries.computeIfAbsent(event.key(), (k) -> new ArrayList<>()).add(event.sequence());
		});
		assertThat(firstDeliveries).hasSize(HEALTHY_KEYS);
		firstDeliveries.forEach((key, sequences) -> assertThat(sequences).as(key)
			.containsExactlyElementsOf(IntStream.range(0, sequences.size()).boxed().toList()));
		// the missing destination's events are the poison: they fail, count and park
		await().atMost(CATCH_UP)
			.untilAsserted(() -> assertThat(
					this.fixture.count("destination = '" + missingDestination + "' and status <> 'PARKED'"))
				.isZero());
		assertThat(this.fixture.count("destination = '" + missingDestination + "' and attempts <> 3")).isZero();
		assertThat(this.fixture.count("destination = '" + missingDestination + "' and status = 'PUBLISHED'")).isZero();
		assertThat(this.failures.of(missingDestination)).isNotEmpty();
	}

	/**
	 * Writers commit events to both destinations, each writer owning its keys, for
	 * {@link #WRITING} and until they wrote {@link #MIN_HEALTHY} healthy events (at most
	 * {@link #MAX_WRITING}).
	 */
	private void write(String healthyDestination, String missingDestination) throws InterruptedException {
		AtomicReference<Throwable> failure = new AtomicReference<>();
		long start = System.nanoTime();
		long end = start + WRITING.toNanos();
		long last = start + MAX_WRITING.toNanos();
		List<Thread> threads = new ArrayList<>();
		for (int w = 0; w < WRITERS; w++) {
			int writer = w;
			Thread thread = new Thread(() -> {
				try {
					int[] next = new int[HEALTHY_KEYS];
					for (int t = 0; (System.nanoTime() < end || this.healthy.size() < MIN_HEALTHY)
							&& System.nanoTime() < last; t++) {
						int k = writer + WRITERS * (t % (HEALTHY_KEYS / WRITERS));
						String key = "healthy-" + k;
						UUID id = this.fixture.insert(healthyDestination, key, String.valueOf(next[k]));
						this.healthy.put(id.toString(), new Event(key, next[k]++));
						// events of ever new aggregates: each is the head of its key
						this.fixture.insert(missingDestination, "missing-" + writer + "-" + t, String.valueOf(t));
						LockSupport.parkNanos(Duration.ofMillis(2).toNanos());
					}
				}
				catch (Throwable ex) {
					failure.compareAndSet(null, ex);
				}
			}, "isolation-writer-" + w);
			thread.setDaemon(true);
			threads.add(thread);
			thread.start();
		}
		for (Thread thread : threads) {
			thread.join(MAX_WRITING.plusSeconds(30).toMillis());
			assertThat(thread.isAlive()).as(thread.getName()).isFalse();
		}
		assertThat(failure.get()).isNull();
	}

	private static CachingConnectionFactory connectionFactory(TestRabbit.Broker broker) {
		CachingConnectionFactory connectionFactory = new CachingConnectionFactory(broker.host(), broker.port());
		connectionFactory.setUsername(broker.username());
		connectionFactory.setPassword(broker.password());
		return connectionFactory;
	}

	/**
	 * A healthy event's key and sequence number within the key (from 0, commit order).
	 */
	private record Event(String key, int sequence) {
	}

	/** A message as a consumer received it. */
	private record Delivery(String id, String key, String value) {
	}

	/** The relay's failed and parked callbacks, per destination. */
	private static final class Failures implements OutboxRelayListener {

		private final List<String[]> failures = new CopyOnWriteArrayList<>();

		@Override
		public void onFailed(OutboxMessage message, int attempts, String error) {
			this.failures.add(new String[] { message.destination(), message.key() + " failed: " + error });
		}

		@Override
		public void onParked(OutboxMessage message, int attempts, String error) {
			this.failures.add(new String[] { message.destination(), message.key() + " parked: " + error });
		}

		List<String> of(String destination) {
			return this.failures.stream().filter((f) -> f[0].equals(destination)).map((f) -> f[1]).toList();
		}

	}

}
