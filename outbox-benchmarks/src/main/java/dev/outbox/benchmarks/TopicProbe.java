package dev.outbox.benchmarks;

import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jspecify.annotations.Nullable;

/**
 * The consumer of a peer's topic, in the peer's JVM: notes when each latency event
 * ({@value #LATENCY_PREFIX} keys) first arrives, and for the order probe
 * ({@value #ORDER_PREFIX} keys) counts, per key, the events that arrive after a later
 * event of their key. Reads every partition from the end it had when it started.
 */
final class TopicProbe implements AutoCloseable {

	static final String LATENCY_PREFIX = "lat-";

	static final String ORDER_PREFIX = "order-";

	private static final Pattern SEQUENCE = Pattern.compile("\"sequence\"\\s*:\\s*(\\d+)");

	private final KafkaConsumer<String, String> consumer;

	private final Thread thread;

	private final Map<String, Long> arrivals = new ConcurrentHashMap<>();

	private final Map<String, KeyOrder> orders = new ConcurrentHashMap<>();

	private volatile boolean running = true;

	TopicProbe(String bootstrapServers, String topic) {
		this.consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
				ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
				ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
				ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100));
		List<TopicPartition> partitions = this.consumer.partitionsFor(topic)
			.stream()
			.map((info) -> new TopicPartition(topic, info.partition()))
			.toList();
		this.consumer.assign(partitions);
		this.consumer.seekToEnd(partitions);
		partitions.forEach(this.consumer::position);
		this.thread = new Thread(this::poll, "probe-" + topic);
		this.thread.setDaemon(true);
		this.thread.start();
	}

	private void poll() {
		try {
			while (this.running) {
				for (ConsumerRecord<String, String> record : this.consumer.poll(Duration.ofMillis(100))) {
					long now = System.nanoTime();
					String key = record.key();
					if (key == null) {
						continue;
					}
					if (key.startsWith(LATENCY_PREFIX)) {
						this.arrivals.putIfAbsent(key, now);
					}
					else if (key.startsWith(ORDER_PREFIX)) {
						Matcher sequence = SEQUENCE.matcher(record.value());
						if (!sequence.find()) {
							throw new IllegalStateException(
									"No sequence in the value of " + key + ": " + record.value());
						}
						this.orders.computeIfAbsent(key, (k) -> new KeyOrder())
							.arrived(Integer.parseInt(sequence.group(1)));
					}
				}
			}
		}
		catch (WakeupException ex) {
			// closing
		}
		finally {
			this.consumer.close();
		}
	}

	/**
	 * When a latency event's record first arrived.
	 * @param key its key
	 * @return {@link System#nanoTime()} of its arrival, or {@code null}
	 */
	@Nullable Long arrival(String key) {
		return this.arrivals.get(key);
	}

	/**
	 * What arrived of an order-probe key.
	 * @param key the key
	 * @return the arrivals so far
	 */
	KeyOrder order(String key) {
		return this.orders.computeIfAbsent(key, (k) -> new KeyOrder());
	}

	/**
	 * Forget the arrivals, between workloads.
	 */
	void clear() {
		this.arrivals.clear();
		this.orders.clear();
	}

	@Override
	public void close() {
		this.running = false;
		this.consumer.wakeup();
		try {
			this.thread.join(10_000);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * The arrivals of one key of the order probe.
	 */
	static final class KeyOrder {

		private final BitSet seen = new BitSet();

		private int highest = -1;

		private int distinct;

		private int reordered;

		private int duplicates;

		synchronized void arrived(int sequence) {
			if (this.seen.get(sequence)) {
				this.duplicates++;
				return;
			}
			this.seen.set(sequence);
			this.distinct++;
			if (sequence < this.highest) {
				this.reordered++;
			}
			this.highest = Math.max(this.highest, sequence);
		}

		synchronized int distinct() {
			return this.distinct;
		}

		synchronized int reordered() {
			return this.reordered;
		}

		synchronized int duplicates() {
			return this.duplicates;
		}

	}

}
