package dev.outbox.relay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import dev.outbox.kafka.KafkaOutboxSender;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;
import dev.outbox.test.TestKafka;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.kafka.core.KafkaTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Failures of the relay itself against real PostgreSQL and Kafka: an {@link Error} in a
 * sender, and an error text the database cannot store.
 */
class RelayFailureIntegrationTests {

	private RelayFixture fixture;

	private String topic;

	private KafkaTemplate<String, byte[]> template;

	private KafkaTestClient client;

	private final List<OutboxRelay> relays = new ArrayList<>();

	@BeforeEach
	void setUp() {
		this.fixture = new RelayFixture();
		this.topic = "relay-failure-" + UUID.randomUUID();
		this.template = KafkaTestClient.template(TestKafka.bootstrapServers(), Duration.ofSeconds(5));
		this.client = new KafkaTestClient(TestKafka.bootstrapServers(), this.topic);
	}

	@AfterEach
	void tearDown() {
		this.relays.forEach(OutboxRelay::stop);
		this.client.close();
		this.template.getProducerFactory().reset();
		this.fixture.close();
	}

	private OutboxRelay started(OutboxRelay.Builder builder) {
		OutboxRelay relay = builder.build();
		this.relays.add(relay);
		relay.start();
		return relay;
	}

	@Test
	void anErrorTextWithANulCharacterIsRecordedSoTheEventCountsAttemptsAndIsParked() {
		KafkaOutboxSender real = new KafkaOutboxSender(this.template);
		OutboxSender rejecting = new OutboxSender() {

			@Override
			public String name() {
				return real.name();
			}

			@Override
			public CompletableFuture<Void> send(OutboxMessage message) {
				return message.key().equals("nul")
						? CompletableFuture.failedFuture(new IllegalStateException("rejected \u0000 by the broker"))
						: real.send(message);
			}

		};
		started(this.fixture.relay().sender(rejecting).maxAttempts(3));
		UUID rejected = this.fixture.insert(this.topic, "nul", "n1");
		UUID other = this.fixture.insert(this.topic, "other", "o1");

		await().atMost(Duration.ofSeconds(20)).until(() -> this.fixture.status(rejected).equals("PARKED"));
		Map<String, Object> parked = this.fixture.row(rejected);
		assertThat(parked.get("attempts")).isEqualTo(3);
		assertThat((String) parked.get("last_error")).contains("IllegalStateException: rejected \uFFFD by the broker")
			.doesNotContain("\u0000");
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.status(other).equals("DELETED"));
	}

}
