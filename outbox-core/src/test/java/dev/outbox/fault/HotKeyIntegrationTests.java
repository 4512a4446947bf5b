package dev.outbox.fault;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import dev.outbox.OutboxHeaders;
import dev.outbox.admin.OutboxAdmin;
import dev.outbox.kafka.KafkaOutboxSender;
import dev.outbox.relay.KafkaTestClient;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.relay.RelayFixture;
import dev.outbox.spi.NotAttemptedException;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.test.TestKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.kafka.core.KafkaTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Several events of one key in flight at once never reorder the key, through the relay,
 * the real {@link KafkaOutboxSender} and the embedded Kafka: an event the broker refuses
 * (larger than the topic's {@code max.message.bytes}, but under the producer's
 * {@code max.request.size}, so the producer accepts it and pipelines the later events of
 * its key behind it) lets none of them through while it fails, counts its attempts while
 * they count none, and once the topic takes it the rest follows in order.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
class HotKeyIntegrationTests {

	@Parameter
	String product;

	/**
	 * The topics' {@code max.message.bytes}: the large event exceeds it. Above the
	 * producer's {@code batch.size} (16 KB), as with the defaults (1 MB), so that no
	 * batch of small records exceeds it (see {@link KafkaOutboxSender}).
	 */
	private static final int TOPIC_LIMIT = 32 * 1024;

	private static final String LARGE = "\"" + "x".repeat(2 * TOPIC_LIMIT) + "\"";

	private RelayFixture fixture;

	private Admin admin;

	private KafkaTemplate<String, byte[]> template;

	private final List<AutoCloseable> resources = new ArrayList<>();

	@BeforeEach
	void setUp() {
		this.fixture = new RelayFixture(this.product);
		this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers()));
		this.template = KafkaTestClient.template(TestKafka.bootstrapServers(), Duration.ofSeconds(5));
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
			this.template.getProducerFactory().reset();
			this.admin.close();
		}
		finally {
			this.fixture.close();
		}
	}

	@Test
	void refusedEventOfAHotKeyLetsNoLaterEventOfItsKeyThroughAndTheRestFollowsInOrderOnceItIsTaken() throws Exception {
		String topic = topic(1);
		KafkaTestClient client = client(topic);
		int before = 300;
		int after = 300;
		List<UUID> ids = new ArrayList<>();
		for (int n = 0; n < before; n++) {
			ids.add(this.fixture.insert(topic, "hot", String.valueOf(n)));
		}
		UUID large = this.fixture.insert(topic, "hot", LARGE);
		ids.add(large);
		for (int n = before + 1; n <= before + after; n++) {
			ids.add(this.fixture.insert(topic, "hot", String.valueOf(n)));
		}
		// the whole backlog is claimed in one batch, so the events after the large one
		// are in flight behind it
		OutboxRelay relay = started(this.fixture.relay().batchSize(1000).maxAttempts(3));
		await().atMost(Duration.ofSeconds(60))
			.failFast("an event after the refused one was delivered",
					() -> assertThat(client.poll()).hasSizeLessThanOrEqualTo(before))
			.until(() -> this.fixture.status(large).equals("PARKED"));
		assertThat(this.fixture.row(large)).containsEntry("attempts", 3);
		assertThat((String) this.fixture.row(large).get("last_error")).contains("RecordTooLargeException");
		// every event before it was delivered, once and in order; none after it
		await().atMost(Duration.ofSeconds(30)).until(() -> client.poll().size() >= before);
		assertThat(values(client.poll())).containsExactlyElementsOf(range(0, before));
		assertThat(this.fixture.count("status = 'PENDING'")).isEqualTo(after);
		assertThat(this.fixture.count("status = 'PENDING' and attempts > 0")).isZero();
		// the later events stay behind it; then the topic takes it and it is replayed
		relay.deliverDue();
		assertThat(client.poll()).hasSize(before);
		raiseLimit(topic);
		assertThat(OutboxAdmin.builder(this.fixture.dataSource, this.fixture.tables).build().replay(large)).isTrue();
		relay.wakeUp();
		await().atMost(Duration.ofSeconds(60)).until(() -> distinctIds(client.poll()).size() == ids.size());
		assertThat(firstDeliveries(client.poll())).containsExactlyElementsOf(ids.stream().map(UUID::toString).toList());
		// marked published after the confirms, on the relay's recording thread
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.count("status <> 'PUBLISHED'") == 0);
	}

	@Test
	void manyKeysInFlightKeepTheirOrderWhileAHotKeysRefusedEventClosesTheProducerUnderThem() throws Exception {
		String topic = topic(4);
		KafkaTestClient client = client(topic);
		int keys = 40;
		int perKey = 30;
		Map<String, List<String>> expected = new LinkedHashMap<>();
		UUID large = null;
		List<String> hotBefore = new ArrayList<>();
		for (int n = 0; n < perKey; n++) {
			for (int k = 0; k < keys; k++) {
				String key = "key-" + k;
				UUID id = this.fixture.insert(topic, key, String.valueOf(n));
				expected.computeIfAbsent(key, (x) -> new ArrayList<>()).add(id.toString());
			}
			if (n < perKey / 2) {
				hotBefore.add(this.fixture.insert(topic, "hot", String.valueOf(n)).toString());
			}
			else if (n == perKey / 2) {
				large = this.fixture.insert(topic, "hot", LARGE);
			}
			else {
				this.fixture.insert(topic, "hot", String.valueOf(n));
			}
		}
		UUID refused = large;
		started(this.fixture.relay().batchSize(300).maxAttempts(3));
		await().atMost(Duration.ofSeconds(60)).until(() -> this.fixture.status(refused).equals("PARKED"));
		int healthy = keys * perKey;
		await().atMost(Duration.ofSeconds(60))
			.until(() -> this.fixture.count("aggregate_id <> 'hot' and status = 'PUBLISHED'") == healthy);
		await().atMost(Duration.ofSeconds(30))
			.until(() -> distinctIds(client.poll()).size() >= healthy + hotBefore.size());
		Map<String, List<String>> received = new LinkedHashMap<>();
		List<ConsumerRecord<String, byte[]>> records = client.poll();
		Set<String> seen = new LinkedHashSet<>();
		for (ConsumerRecord<String, byte[]> record : records) {
			String id = KafkaTestClient.header(record, OutboxHeaders.MESSAGE_ID);
			if (seen.add(id)) {
				received.computeIfAbsent(record.key(), (x) -> new ArrayList<>()).add(id);
			}
		}
		expected.forEach((key, ids) -> assertThat(received.get(key)).as(key).containsExactlyElementsOf(ids));
		assertThat(received.get("hot")).containsExactlyElementsOf(hotBefore);
		// the events closed under them by the fence counted no attempt
		assertThat(this.fixture.count("aggregate_id <> 'hot' and attempts > 0")).isZero();
		assertThat(this.fixture.count("aggregate_id = 'hot' and status = 'PENDING' and attempts > 0")).isZero();
	}

	@Test
	void eventTheProducerRefusesBeforeQueueingItStopsTheRestOfItsKeyInTheCallButNoOtherKey() throws Exception {
		String topic = topic(1);
		KafkaTemplate<String, byte[]> small = KafkaTestClient.template(TestKafka.bootstrapServers(),
				Duration.ofSeconds(5), Map.of(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4096));
		this.resources.add(() -> small.getProducerFactory().reset());
		KafkaOutboxSender sender = new KafkaOutboxSender(small);
		this.resources.add(sender);
		List<CompletableFuture<Void>> futures = sender
			.sendAll(List.of(message(topic, "a", "\"a0\""), message(topic, "a", "\"" + "x".repeat(8192) + "\""),
					message(topic, "b", "\"b0\""), message(topic, "a", "\"a2\""), message(topic, "b", "\"b1\"")));
		CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
			.handle((result, ex) -> null)
			.get(30, TimeUnit.SECONDS);
		assertThat(futures.get(0)).isCompleted();
		assertThatExceptionOfType(ExecutionException.class).isThrownBy(futures.get(1)::get)
			.withCauseInstanceOf(RecordTooLargeException.class);
		assertThat(futures.get(2)).isCompleted();
		assertThatExceptionOfType(ExecutionException.class).isThrownBy(futures.get(3)::get)
			.withCauseInstanceOf(NotAttemptedException.class);
		assertThat(futures.get(4)).isCompleted();
		assertThat(futures.stream().filter(CompletableFuture::isCompletedExceptionally)).hasSize(2);
	}

	private static OutboxMessage message(String topic, String key, String payload) {
		return new OutboxMessage(UUID.randomUUID(), topic, null, "order", key, "order-placed", key,
				payload.getBytes(StandardCharsets.UTF_8), "application/json", Map.of(), Instant.now());
	}

	private String topic(int partitions) throws Exception {
		String topic = "hot-key-" + UUID.randomUUID();
		this.admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1)
			.configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(TOPIC_LIMIT))))).all().get();
		return topic;
	}

	private void raiseLimit(String topic) throws Exception {
		ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
		AlterConfigOp raise = new AlterConfigOp(
				new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(1024 * 1024)),
				AlterConfigOp.OpType.SET);
		this.admin.incrementalAlterConfigs(Map.of(resource, List.of(raise))).all().get();
	}

	private KafkaTestClient client(String topic) {
		KafkaTestClient client = new KafkaTestClient(TestKafka.bootstrapServers(), topic);
		this.resources.add(client);
		return client;
	}

	private OutboxRelay started(OutboxRelay.Builder builder) {
		KafkaOutboxSender sender = new KafkaOutboxSender(this.template);
		this.resources.add(sender);
		OutboxRelay relay = builder.sender(sender).retention(Duration.ofHours(1)).build();
		this.resources.add(relay::stop);
		relay.start();
		return relay;
	}

	private static List<String> values(List<ConsumerRecord<String, byte[]>> records) {
		return records.stream().map(KafkaTestClient::value).toList();
	}

	private static List<String> range(int from, int to) {
		List<String> values = new ArrayList<>();
		for (int n = from; n < to; n++) {
			values.add(String.valueOf(n));
		}
		return values;
	}

	private static Set<String> distinctIds(List<ConsumerRecord<String, byte[]>> records) {
		Set<String> ids = ConcurrentHashMap.newKeySet();
		records.forEach((record) -> ids.add(KafkaTestClient.header(record, OutboxHeaders.MESSAGE_ID)));
		return ids;
	}

	private static List<String> firstDeliveries(List<ConsumerRecord<String, byte[]>> records) {
		Set<String> ids = new LinkedHashSet<>();
		records.forEach((record) -> ids.add(KafkaTestClient.header(record, OutboxHeaders.MESSAGE_ID)));
		return List.copyOf(ids);
	}

}
