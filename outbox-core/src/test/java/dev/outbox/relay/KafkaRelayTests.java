package dev.outbox.relay;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.outbox.kafka.KafkaOutboxSender;
import dev.outbox.spi.OutboxMessage;
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
	 * A sender on the test's producer settings, with a producer of its own (created by
	 * its first send).
	 */
	KafkaOutboxSender sender() {
		return new KafkaOutboxSender(this.template);
	}

	/**
	 * A {@linkplain #sender() sender} after one record (key
	 * {@link KafkaTestClient#WARM_UP_KEY}, which the test's client never returns) went
	 * through it to the test's topic and was confirmed: its producer exists, has its
	 * producer id and knows the topic, which that send created. A first send does all of
	 * that within the send timeout, seconds on a loaded machine, and a failed send waits
	 * for the next poll: a test with a short send timeout, a long poll interval or no
	 * tolerance for a retry takes a warmed-up sender, so that only the sends it means
	 * count.
	 */
	KafkaOutboxSender warmedUpSender() {
		KafkaOutboxSender sender = sender();
		OutboxMessage warmUp = new OutboxMessage(UUID.randomUUID(), this.topic, null, "warm-up",
				KafkaTestClient.WARM_UP_KEY, "warm-up", KafkaTestClient.WARM_UP_KEY, new byte[0],
				"application/octet-stream", Map.of(), Instant.now());
		try {
			sender.send(warmUp).get(30, TimeUnit.SECONDS);
		}
		catch (Exception ex) {
			throw new IllegalStateException("The warm-up send to " + this.topic + " failed", ex);
		}
		return sender;
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
