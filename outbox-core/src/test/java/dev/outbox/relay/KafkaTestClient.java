package dev.outbox.relay;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.outbox.OutboxHeaders;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;

import static org.awaitility.Awaitility.await;

/**
 * A durable producer template and a collecting consumer for one topic. Public for the
 * fault-injection tests.
 * <p>
 * The consumer reads every partition of the topic from the start without a consumer
 * group: joining one takes several round trips with the group coordinator, seconds on a
 * loaded machine, before the first record arrives.
 */
public final class KafkaTestClient implements AutoCloseable {

	/**
	 * The key of the records that only warm a producer up: {@link #poll()} leaves them
	 * out.
	 */
	public static final String WARM_UP_KEY = "warm-up";

	private final KafkaConsumer<String, byte[]> consumer;

	private final String topic;

	private final List<ConsumerRecord<String, byte[]>> received = new ArrayList<>();

	private boolean assigned;

	public KafkaTestClient(String bootstrapServers, String topic) {
		Map<String, Object> config = new HashMap<>();
		config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
		config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
		config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
		config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
		this.consumer = new KafkaConsumer<>(config);
		this.topic = topic;
	}

	public static KafkaTemplate<String, byte[]> template(String bootstrapServers, Duration sendTimeout) {
		return template(bootstrapServers, sendTimeout, Map.of());
	}

	/**
	 * A durable producer template with extra producer properties (for example a small
	 * {@code max.request.size}).
	 */
	public static KafkaTemplate<String, byte[]> template(String bootstrapServers, Duration sendTimeout,
			Map<String, Object> overrides) {
		Map<String, Object> config = new HashMap<>();
		config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
		config.put(ProducerConfig.ACKS_CONFIG, "all");
		config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
		config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
		config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
		config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) sendTimeout.toMillis());
		config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) sendTimeout.toMillis() / 2);
		config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) sendTimeout.toMillis());
		config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
		config.putAll(overrides);
		return new KafkaTemplate<>(new DefaultKafkaProducerFactory<>(config));
	}

	/**
	 * Poll once and return everything received so far, but the warm-up records.
	 */
	public synchronized List<ConsumerRecord<String, byte[]>> poll() {
		if (!this.assigned) {
			assign();
		}
		if (this.assigned) {
			this.consumer.poll(Duration.ofMillis(200)).forEach((record) -> {
				if (!WARM_UP_KEY.equals(record.key())) {
					this.received.add(record);
				}
			});
		}
		return List.copyOf(this.received);
	}

	/**
	 * Assign all partitions of the topic once it exists (asking for them creates it, as
	 * the first send would).
	 */
	private void assign() {
		try {
			List<PartitionInfo> partitions = this.consumer.partitionsFor(this.topic, Duration.ofSeconds(2));
			if (!partitions.isEmpty()) {
				this.consumer.assign(partitions.stream()
					.map((partition) -> new TopicPartition(partition.topic(), partition.partition()))
					.toList());
				this.assigned = true;
			}
		}
		catch (TimeoutException ex) {
			// the broker is unreachable or slow: try again at the next poll
		}
	}

	/**
	 * Poll until at least {@code count} records have arrived, for up to 30 seconds.
	 * @param count the records to wait for
	 * @return every record received so far
	 */
	public List<ConsumerRecord<String, byte[]>> awaitRecords(int count) {
		return awaitRecords(count, Duration.ofSeconds(30));
	}

	/**
	 * Poll until at least {@code count} records have arrived.
	 * @param count the records to wait for
	 * @param timeout how long to wait
	 * @return every record received so far
	 */
	public List<ConsumerRecord<String, byte[]>> awaitRecords(int count, Duration timeout) {
		List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
		await().atMost(timeout).until(() -> {
			records.clear();
			records.addAll(poll());
			return records.size() >= count;
		});
		return records;
	}

	/**
	 * The outbox message ids of records.
	 * @param records the records
	 * @return their {@link OutboxHeaders#MESSAGE_ID} headers
	 */
	public static Set<String> ids(List<ConsumerRecord<String, byte[]>> records) {
		return records.stream().map((r) -> header(r, OutboxHeaders.MESSAGE_ID)).collect(Collectors.toSet());
	}

	public static String header(ConsumerRecord<String, byte[]> record, String name) {
		Header header = record.headers().lastHeader(name);
		return (header != null) ? new String(header.value(), StandardCharsets.UTF_8) : null;
	}

	public static String value(ConsumerRecord<String, byte[]> record) {
		return new String(record.value(), StandardCharsets.UTF_8);
	}

	@Override
	public void close() {
		this.consumer.close();
	}

}
