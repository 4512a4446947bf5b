package dev.outbox.test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A {@link KafkaBrokerProcess} killed and started again keeps its port and its log: a
 * record acknowledged before the kill is read after the restart, and a send while it is
 * down fails.
 */
class KafkaBrokerProcessIntegrationTests {

	@Test
	void restartKeepsPortAndRecords() throws Exception {
		String topic = "restart-" + UUID.randomUUID();
		try (KafkaBrokerProcess broker = new KafkaBrokerProcess()) {
			broker.start();
			try (KafkaProducer<String, String> producer = producer(broker.bootstrapServers())) {
				producer.send(new ProducerRecord<>(topic, "k", "before")).get(30, TimeUnit.SECONDS);
				broker.stop();
				assertThat(broker.isRunning()).isFalse();
				assertThatExceptionOfType(ExecutionException.class).isThrownBy(
						() -> producer.send(new ProducerRecord<>(topic, "k", "lost")).get(30, TimeUnit.SECONDS));
				broker.start();
				producer.send(new ProducerRecord<>(topic, "k", "after")).get(30, TimeUnit.SECONDS);
			}
			assertThat(consume(broker.bootstrapServers(), topic, 2)).containsExactly("before", "after");
		}
	}

	private static KafkaProducer<String, String> producer(String bootstrapServers) {
		return new KafkaProducer<>(
				Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ProducerConfig.ACKS_CONFIG, "all",
						ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 3000, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 1500,
						ProducerConfig.MAX_BLOCK_MS_CONFIG, 3000, ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
						StringSerializer.class, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
	}

	private static List<String> consume(String bootstrapServers, String topic, int count) {
		List<String> values = new ArrayList<>();
		try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(
				Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ConsumerConfig.GROUP_ID_CONFIG,
						"restart-" + UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
						ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
						ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
			consumer.subscribe(List.of(topic));
			long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
			while (values.size() < count && System.nanoTime() < deadline) {
				consumer.poll(Duration.ofMillis(200)).forEach((record) -> values.add(record.value()));
			}
		}
		return values;
	}

}
