package dev.outbox.relay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import dev.outbox.test.TestKafka;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import org.springframework.kafka.core.KafkaTemplate;

/**
 * What every test of relays against a real database and Kafka sets up: a schema (or
 * database) with the outbox tables, on PostgreSQL unless {@link #product()} says
 * otherwise, a topic of its own, a producer for the relay's sender and a client to read
 * the topic; the relays a test starts are stopped after it.
 */
abstract class KafkaRelayTests {

	private final String topicPrefix;

	RelayFixture fixture;

	String topic;

	KafkaTemplate<String, byte[]> template;

	KafkaTestClient client;

	final List<OutboxRelay> relays = new ArrayList<>();

	KafkaRelayTests(String topicPrefix) {
		this.topicPrefix = topicPrefix;
	}

	@BeforeEach
	void setUpFixtureAndTopic() {
		this.fixture = new RelayFixture(product());
		this.topic = this.topicPrefix + UUID.randomUUID();
		this.template = KafkaTestClient.template(TestKafka.bootstrapServers(), Duration.ofSeconds(5));
		this.client = new KafkaTestClient(TestKafka.bootstrapServers(), this.topic);
	}

	@AfterEach
	void stopRelaysAndClose() {
		if (this.fixture == null) {
			return; // skipped before the fixture: a server this machine does not have
		}
		this.relays.forEach(OutboxRelay::stop);
		this.client.close();
		this.template.getProducerFactory().reset();
		this.fixture.close();
	}

	/**
	 * The database the test runs on.
	 * @return {@code postgresql} or {@code mariadb}
	 */
	String product() {
		return "postgresql";
	}

	/**
	 * Build and start a relay, stopped after the test.
	 */
	OutboxRelay started(OutboxRelay.Builder builder) {
		OutboxRelay relay = builder.build();
		this.relays.add(relay);
		relay.start();
		return relay;
	}

}
