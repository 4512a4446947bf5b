package dev.outbox.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.jspecify.annotations.Nullable;

/**
 * Checks, once per topic, the one condition the Kafka sender's order argument rests on:
 * the producer's {@code batch.size} stays below the topic's {@code max.message.bytes}.
 * Otherwise the broker can refuse a batch of several records as too large, and the
 * producer splits and sends it again without failing a record, after later records of the
 * same key may have been written. A topic that breaks it is reported with a warning that
 * names both settings and the fix; the check never holds up a send, and a topic whose
 * configuration cannot be read (no permission to describe it) is not reported.
 */
final class TopicSizeCheck implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(TopicSizeCheck.class);

	private static final long TIMEOUT_SECONDS = 30;

	/** The producer's default {@code batch.size}. */
	private static final int DEFAULT_BATCH_SIZE = 16_384;

	private final Map<String, Object> adminConfig;

	private final int batchSize;

	private final Executor executor;

	private final Set<String> checked = ConcurrentHashMap.newKeySet();

	private final Object adminMonitor = new Object();

	private @Nullable Admin admin;

	private boolean closed;

	TopicSizeCheck(Map<String, Object> producerConfig, Executor executor) {
		this.adminConfig = adminConfig(producerConfig);
		this.batchSize = batchSize(producerConfig);
		this.executor = executor;
	}

	private static Map<String, Object> adminConfig(Map<String, Object> producerConfig) {
		Set<String> names = AdminClientConfig.configNames();
		Map<String, Object> config = new HashMap<>();
		producerConfig.forEach((name, value) -> {
			if (names.contains(name) && !name.equals(AdminClientConfig.CLIENT_ID_CONFIG)) {
				config.put(name, value);
			}
		});
		return config;
	}

	private static int batchSize(Map<String, Object> producerConfig) {
		Object value = producerConfig.get(ProducerConfig.BATCH_SIZE_CONFIG);
		return (value != null) ? Integer.parseInt(value.toString().trim()) : DEFAULT_BATCH_SIZE;
	}

	/**
	 * Check the topic in the background, the first time it is seen.
	 * @param topic the topic
	 */
	void checkOnce(String topic) {
		if (this.checked.add(topic)) {
			try {
				this.executor.execute(() -> {
					String problem = problem(topic);
					if (problem != null) {
						logger.warn(problem);
					}
				});
			}
			catch (RuntimeException ex) {
				// the sender is closing
			}
		}
	}

	/**
	 * Read the topic's {@code max.message.bytes} and compare it with the producer's
	 * {@code batch.size}.
	 * @param topic the topic
	 * @return what is wrong and how to fix it, or {@code null} if nothing is (or the
	 * topic's configuration could not be read)
	 */
	@Nullable String problem(String topic) {
		Integer maxMessageBytes = maxMessageBytes(topic);
		if (maxMessageBytes == null || this.batchSize < maxMessageBytes) {
			return null;
		}
		return "Kafka topic '" + topic + "' has " + TopicConfig.MAX_MESSAGE_BYTES_CONFIG + "=" + maxMessageBytes
				+ ", not above the outbox relay producer's " + ProducerConfig.BATCH_SIZE_CONFIG + "=" + this.batchSize
				+ ": if the broker refuses a batch of this topic as too large, the producer splits and resends it "
				+ "without failing it, and a later event of the same key can be written first. Set "
				+ "outbox.relay.kafka.producer." + ProducerConfig.BATCH_SIZE_CONFIG + " below " + maxMessageBytes
				+ " or raise the topic's " + TopicConfig.MAX_MESSAGE_BYTES_CONFIG + ".";
	}

	private @Nullable Integer maxMessageBytes(String topic) {
		try {
			ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
			Map<ConfigResource, Config> configs = admin().describeConfigs(List.of(resource))
				.all()
				.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
			Config config = configs.get(resource);
			ConfigEntry entry = (config != null) ? config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG) : null;
			return (entry != null && entry.value() != null) ? Integer.valueOf(entry.value()) : null;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return null;
		}
		catch (Exception ex) {
			logger.debug("Could not read the configuration of Kafka topic '" + topic + "'", ex);
			return null;
		}
	}

	private Admin admin() {
		synchronized (this.adminMonitor) {
			if (this.closed) {
				throw new IllegalStateException("closed");
			}
			Admin current = this.admin;
			if (current == null) {
				current = Admin.create(this.adminConfig);
				this.admin = current;
			}
			return current;
		}
	}

	@Override
	public void close() {
		Admin current;
		synchronized (this.adminMonitor) {
			this.closed = true;
			current = this.admin;
			this.admin = null;
		}
		if (current != null) {
			current.close(Duration.ZERO);
		}
	}

}
