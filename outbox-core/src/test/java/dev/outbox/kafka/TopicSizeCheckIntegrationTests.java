package dev.outbox.kafka;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executor;

import dev.outbox.test.TestKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link TopicSizeCheck} against a real broker: a topic whose {@code max.message.bytes}
 * is not above the producer's {@code batch.size} is reported with both values and the
 * property that fixes it; topics that keep the condition are not.
 */
class TopicSizeCheckIntegrationTests {

	private static final Executor SAME_THREAD = Runnable::run;

	private static Admin admin;

	private static String smallTopic;

	@BeforeAll
	static void createTopics() throws Exception {
		admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers()));
		smallTopic = "size-check-" + UUID.randomUUID();
		admin
			.createTopics(List.of(new NewTopic(smallTopic, 1, (short) 1)
				.configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "32768"))))
			.all()
			.get();
	}

	@AfterAll
	static void closeAdmin() {
		admin.close();
	}

	@Test
	void reportsATopicWhoseLargestMessageIsNotAboveTheBatchSize() {
		try (TopicSizeCheck check = new TopicSizeCheck(producerConfig(65_536), SAME_THREAD)) {
			assertThat(check.problem(smallTopic)).contains("'" + smallTopic + "'")
				.contains("max.message.bytes=32768")
				.contains("batch.size=65536")
				.contains("outbox.relay.kafka.producer.batch.size below 32768");
		}
		try (TopicSizeCheck check = new TopicSizeCheck(producerConfig(32_768), SAME_THREAD)) {
			assertThat(check.problem(smallTopic)).contains("batch.size=32768");
		}
	}

	@Test
	void acceptsTheDefaultBatchSizeBelowTheTopicLimit() {
		Map<String, Object> config = producerConfig(65_536);
		config.remove(ProducerConfig.BATCH_SIZE_CONFIG);
		try (TopicSizeCheck check = new TopicSizeCheck(config, SAME_THREAD)) {
			assertThat(check.problem(smallTopic)).isNull();
		}
		try (TopicSizeCheck check = new TopicSizeCheck(producerConfig(32_767), SAME_THREAD)) {
			assertThat(check.problem(smallTopic)).isNull();
		}
	}

	@Test
	void staysQuietWhenTheTopicCannotBeDescribed() {
		try (TopicSizeCheck check = new TopicSizeCheck(producerConfig(65_536), SAME_THREAD)) {
			assertThat(check.problem("no-such-topic-" + UUID.randomUUID())).isNull();
		}
	}

	private static Map<String, Object> producerConfig(int batchSize) {
		Map<String, Object> config = new HashMap<>();
		config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
		config.put(ProducerConfig.ACKS_CONFIG, "all");
		config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
		config.put(ProducerConfig.BATCH_SIZE_CONFIG, batchSize);
		config.put(ProducerConfig.CLIENT_ID_CONFIG, "size-check");
		return config;
	}

}
