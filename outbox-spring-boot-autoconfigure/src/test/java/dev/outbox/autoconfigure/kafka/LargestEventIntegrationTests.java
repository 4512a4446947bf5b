package dev.outbox.autoconfigure.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;
import dev.outbox.autoconfigure.jdbc.OutboxJdbcAutoConfiguration;
import dev.outbox.autoconfigure.relay.OutboxRelayAutoConfiguration;
import dev.outbox.jdbc.JdbcOutbox;
import dev.outbox.test.TestKafka;
import dev.outbox.test.TestPostgres;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The default event limit leaves room for what the relay adds to a Kafka record, under
 * the default {@code max.request.size}: the largest event publish accepts is delivered.
 */
class LargestEventIntegrationTests {

	@RegisterExtension
	static final TestPostgres.SchemaPerClass schema = new TestPostgres.SchemaPerClass();

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
				DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
				OutboxJdbcAutoConfiguration.class, KafkaAutoConfiguration.class, OutboxKafkaAutoConfiguration.class,
				OutboxRelayAutoConfiguration.class))
		.withClassLoader(new FilteredClassLoader(RabbitTemplate.class))
		.withPropertyValues(schema.database().propertyValues())
		.withPropertyValues(TestKafka.propertyValue(), "outbox.relay.poll-interval=200ms");

	@Test
	void largestEventTheDefaultLimitAcceptsIsDeliveredWithTheLongestKeyAndNames() {
		String topic = "largest-" + UUID.randomUUID();
		// the longest texts, in three-byte characters: the relay copies them into the
		// key and its headers
		String longest = "€".repeat(255);
		String header = "v".repeat(JdbcOutbox.DEFAULT_MAX_HEADER_SIZE - 1);
		// a JSON string payload: its characters and two quotes
		String payload = "x".repeat(JdbcOutbox.DEFAULT_MAX_PAYLOAD_SIZE - JdbcOutbox.DEFAULT_MAX_HEADER_SIZE - 2);
		this.runner.run((context) -> {
			assertThat(context).hasNotFailed();
			Outbox outbox = context.getBean(Outbox.class);
			new TransactionTemplate(context.getBean(PlatformTransactionManager.class))
				.executeWithoutResult((status) -> outbox.publish(OutboxEvent.builder(topic)
					.aggregate(longest, longest)
					.eventType(longest)
					.key(longest)
					.header("h", header)
					.payload(payload)
					.build()));
			try (KafkaConsumer<String, byte[]> consumer = consumer(topic)) {
				ConsumerRecord<String, byte[]>[] received = new ConsumerRecord[1];
				await().atMost(Duration.ofSeconds(30)).until(() -> {
					for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
						received[0] = record;
					}
					return received[0] != null;
				});
				assertThat(received[0].key()).isEqualTo(longest);
				assertThat(received[0].value()).hasSize(payload.length() + 2);
			}
		});
	}

	private static KafkaConsumer<String, byte[]> consumer(String topic) {
		Map<String, Object> config = new HashMap<>();
		config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
		config.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
		config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
		config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
		config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
		KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config);
		consumer.subscribe(List.of(topic));
		return consumer;
	}

}
