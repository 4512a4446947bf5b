package dev.outbox.fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.outbox.OutboxHeaders;
import dev.outbox.amqp.RabbitOutboxSender;
import dev.outbox.kafka.KafkaOutboxSender;
import dev.outbox.relay.KafkaTestClient;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.relay.RelayFixture;
import dev.outbox.test.CpuLoad;
import dev.outbox.test.TestKafka;
import dev.outbox.test.TestRabbit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.kafka.core.KafkaTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Events the broker can never take are parked while every other key keeps flowing, in
 * order, through the real {@link KafkaOutboxSender} and the embedded Kafka. A poison
 * event (a sender that always rejects one key) is covered by
 * {@code KafkaRelayIntegrationTests.poisonEventIsParkedAfterMaxAttemptsWhileOtherKeysFlowAndItsKeyWaits}.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
@ExtendWith(CpuLoad.Extension.class)
class ParkingIntegrationTests {

	@Parameter
	String product;

	private static final int MAX_REQUEST_SIZE = 4096;

	private static final int KEYS = 5;

	private static final int PER_KEY = 4;

	private RelayFixture fixture;

	private String topic;

	private @Nullable KafkaTemplate<String, byte[]> template;

	private KafkaTestClient client;

	private @Nullable CachingConnectionFactory rabbitConnections;

	private final List<OutboxRelay> relays = new ArrayList<>();

	@BeforeEach
	void setUp() {
		this.fixture = new RelayFixture(this.product);
		this.topic = "parking-" + UUID.randomUUID();
		this.client = new KafkaTestClient(TestKafka.bootstrapServers(), this.topic);
	}

	@AfterEach
	void tearDown() {
		if (this.fixture == null) {
			return; // skipped before the fixture: a server this machine does not have
		}
		this.relays.forEach(OutboxRelay::stop);
		this.client.close();
		if (this.template != null) {
			this.template.getProducerFactory().reset();
		}
		if (this.rabbitConnections != null) {
			this.rabbitConnections.destroy();
		}
		this.fixture.close();
	}

	@Test
	void payloadTooLargeForTheProducerIsParkedWhileOtherKeysFlowInOrderAndItsKeyWaits() {
		this.template = KafkaTestClient.template(TestKafka.bootstrapServers(), Duration.ofSeconds(5),
				Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_REQUEST_SIZE));
		String large = "\"" + "x".repeat(MAX_REQUEST_SIZE * 2) + "\"";
		List<UUID> healthy = new ArrayList<>();
		UUID parked = null;
		UUID sameBatch = null;
		// everything is committed before the relay starts, so the too-large event and the
		// later event of its key are claimed in one batch: the later one must not
		// overtake it
		for (int n = 0; n < PER_KEY; n++) {
			if (n == 1) {
				parked = this.fixture.insert(this.topic, "big", large);
				sameBatch = this.fixture.insert(this.topic, "big", "\"after\"");
			}
			for (int k = 0; k < KEYS; k++) {
				healthy.add(this.fixture.insert(this.topic, "key-" + k, String.valueOf(n)));
			}
		}
		started(this.fixture.relay().sender(new KafkaOutboxSender(this.template)).maxAttempts(3));
		assertParkedWhileOthersFlow(parked, "big", healthy, "RecordTooLargeException", List.of(sameBatch));
	}

	@Test
	void eventForADestinationWithoutSenderIsParkedWhileOtherKeysFlowInOrderAndItsKeyWaits() {
		this.template = KafkaTestClient.template(TestKafka.bootstrapServers(), Duration.ofSeconds(5));
		// Two brokers, every destination routed explicitly, no default broker: an
		// unrouted destination has no sender.
		started(this.fixture.relay()
			.sender(new KafkaOutboxSender(this.template))
			.sender(rabbitSender())
			.destination(this.topic, KafkaOutboxSender.NAME)
			.maxAttempts(3));
		List<UUID> healthy = new ArrayList<>();
		UUID parked = null;
		for (int n = 0; n < PER_KEY; n++) {
			if (n == 1) {
				parked = this.fixture.insert("unrouted-" + UUID.randomUUID(), "lost", "nowhere");
			}
			for (int k = 0; k < KEYS; k++) {
				healthy.add(this.fixture.insert(this.topic, "key-" + k, String.valueOf(n)));
			}
		}
		assertParkedWhileOthersFlow(parked, "lost", healthy, "No outbox sender for destination 'unrouted-", List.of());
	}

	private void assertParkedWhileOthersFlow(UUID parked, String parkedKey, List<UUID> healthy, String error,
			List<UUID> waitingBehind) {
		await().atMost(Duration.ofSeconds(15)).until(() -> this.fixture.status(parked).equals("PARKED"));
		Map<String, Object> row = this.fixture.row(parked);
		assertThat(row.get("attempts")).isEqualTo(3);
		assertThat((String) row.get("last_error")).contains(error);
		// A later event of the parked key to the same destination waits; events of other
		// keys committed after it still flow and prove the relay polled past it.
		UUID behind = this.fixture.insert((String) row.get("destination"), parkedKey, "behind");
		for (int k = 0; k < KEYS; k++) {
			healthy.add(this.fixture.insert(this.topic, "key-" + k, String.valueOf(PER_KEY)));
		}
		List<ConsumerRecord<String, byte[]>> records = this.client.awaitRecords(healthy.size(), Duration.ofSeconds(20));
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(
					() -> assertThat(
							this.fixture.jdbc.queryForList(
									"select message_key, status, attempts from "
											+ this.fixture.tables.qualifiedEventTable() + " where message_key = ?",
									parkedKey))
						.hasSize(2 + waitingBehind.size()));
		records = this.client.poll();
		assertThat(records.stream().map((r) -> KafkaTestClient.header(r, OutboxHeaders.MESSAGE_ID)))
			.containsExactlyInAnyOrderElementsOf(healthy.stream().map(UUID::toString).toList());
		Map<String, List<Integer>> byKey = new LinkedHashMap<>();
		records.forEach((r) -> byKey.computeIfAbsent(r.key(), (k) -> new ArrayList<>())
			.add(Integer.parseInt(KafkaTestClient.value(r))));
		assertThat(byKey).hasSize(KEYS);
		byKey.forEach((key, values) -> assertThat(values).as(key).containsExactly(0, 1, 2, 3, 4));
		List<UUID> waitingIds = new ArrayList<>(waitingBehind);
		waitingIds.add(behind);
		for (UUID id : waitingIds) {
			Map<String, Object> waiting = this.fixture.row(id);
			assertThat(waiting.get("status")).as(id.toString()).isEqualTo("PENDING");
			assertThat(waiting.get("attempts")).as(id.toString()).isEqualTo(0);
		}
		assertThat(this.fixture.status(parked)).isEqualTo("PARKED");
	}

	private void started(OutboxRelay.Builder builder) {
		OutboxRelay relay = builder.build();
		this.relays.add(relay);
		relay.start();
	}

	private RabbitOutboxSender rabbitSender() {
		TestRabbit.Broker broker = TestRabbit.broker();
		CachingConnectionFactory connectionFactory = new CachingConnectionFactory(broker.host(), broker.port());
		connectionFactory.setUsername(broker.username());
		connectionFactory.setPassword(broker.password());
		connectionFactory.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
		connectionFactory.setPublisherReturns(true);
		this.rabbitConnections = connectionFactory;
		return new RabbitOutboxSender(new RabbitTemplate(connectionFactory));
	}

}
