package dev.outbox.autoconfigure.relay;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.outbox.relay.OutboxRelay;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Configuration properties of the outbox relay.
 */
@ConfigurationProperties("outbox.relay")
public class OutboxRelayProperties {

	/**
	 * Whether to run the relay in this application.
	 */
	private boolean enabled = true;

	/**
	 * Whether to start the relay with the application context. When false, nothing is
	 * delivered until OutboxRelay#start() or OutboxRelay#deliverDue() is called, for
	 * example by a test.
	 */
	private boolean autoStartup = true;

	/**
	 * Broker of the destinations not listed under "destinations": "kafka" or "rabbit".
	 * Defaults to the only one on the classpath; required when both are.
	 */
	private @Nullable String broker;

	/**
	 * Broker per destination (topic or exchange), "kafka" or "rabbit", overriding
	 * "broker".
	 */
	private Map<String, String> destinations = new LinkedHashMap<>();

	/**
	 * Maximum number of events sent in one batch.
	 */
	private int batchSize = OutboxRelay.DEFAULT_BATCH_SIZE;

	/**
	 * Maximum payload and header bytes read and sent in one batch, so the relay's memory
	 * is bounded whatever the payloads. A batch holds at least one event, however large.
	 */
	private DataSize batchMaxBytes = DataSize.ofMegabytes(4);

	/**
	 * Interval between polls when nothing wakes the relay. Commits in this JVM and
	 * notifications from others wake it at once, and so does the due time of a delayed
	 * event or of a retry (the end of its backoff) in its partitions; polling is the
	 * fallback.
	 */
	private Duration pollInterval = OutboxRelay.DEFAULT_POLL_INTERVAL;

	/**
	 * How long to wait for the broker's confirms of a batch; unconfirmed events count as
	 * failed. At most half the lease duration.
	 */
	private Duration sendTimeout = OutboxRelay.DEFAULT_SEND_TIMEOUT;

	/**
	 * Number of failed attempts after which an event is parked (status PARKED); later
	 * events of its key wait behind it.
	 */
	private int maxAttempts = OutboxRelay.DEFAULT_MAX_ATTEMPTS;

	private final Backoff backoff = new Backoff();

	/**
	 * How long a partition lease lasts without renewal. Heartbeats run every third of it;
	 * a crashed instance's partitions are taken over after it.
	 */
	private Duration leaseDuration = OutboxRelay.DEFAULT_LEASE_DURATION;

	/**
	 * How long published events are kept (status PUBLISHED), and expired ones (status
	 * EXPIRED) from their expiry. Zero deletes published events as soon as the broker
	 * confirmed them, and expired ones at the next purge.
	 */
	private Duration retention = OutboxRelay.DEFAULT_RETENTION;

	/**
	 * Interval between purges of published and expired events older than the retention.
	 */
	private Duration purgeInterval = OutboxRelay.DEFAULT_PURGE_INTERVAL;

	/**
	 * Number of rows deleted per purge statement.
	 */
	private int purgeBatchSize = OutboxRelay.DEFAULT_PURGE_BATCH_SIZE;

	/**
	 * Id of this relay instance in the lease and instance tables. Defaults to the host
	 * name and a random UUID.
	 */
	private @Nullable String instanceId;

	/**
	 * Whether to LISTEN to the notify channel so that commits in other processes wake the
	 * relay at once (PostgreSQL; MariaDB and MySQL have no notifications, the relay
	 * polls).
	 */
	private boolean listen = true;

	private final Kafka kafka = new Kafka();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public boolean isAutoStartup() {
		return this.autoStartup;
	}

	public void setAutoStartup(boolean autoStartup) {
		this.autoStartup = autoStartup;
	}

	public @Nullable String getBroker() {
		return this.broker;
	}

	public void setBroker(@Nullable String broker) {
		this.broker = broker;
	}

	public Map<String, String> getDestinations() {
		return this.destinations;
	}

	public void setDestinations(Map<String, String> destinations) {
		this.destinations = destinations;
	}

	public int getBatchSize() {
		return this.batchSize;
	}

	public void setBatchSize(int batchSize) {
		this.batchSize = batchSize;
	}

	public DataSize getBatchMaxBytes() {
		return this.batchMaxBytes;
	}

	public void setBatchMaxBytes(DataSize batchMaxBytes) {
		this.batchMaxBytes = batchMaxBytes;
	}

	public Duration getPollInterval() {
		return this.pollInterval;
	}

	public void setPollInterval(Duration pollInterval) {
		this.pollInterval = pollInterval;
	}

	public Duration getSendTimeout() {
		return this.sendTimeout;
	}

	public void setSendTimeout(Duration sendTimeout) {
		this.sendTimeout = sendTimeout;
	}

	public int getMaxAttempts() {
		return this.maxAttempts;
	}

	public void setMaxAttempts(int maxAttempts) {
		this.maxAttempts = maxAttempts;
	}

	public Backoff getBackoff() {
		return this.backoff;
	}

	public Duration getLeaseDuration() {
		return this.leaseDuration;
	}

	public void setLeaseDuration(Duration leaseDuration) {
		this.leaseDuration = leaseDuration;
	}

	public Duration getRetention() {
		return this.retention;
	}

	public void setRetention(Duration retention) {
		this.retention = retention;
	}

	public Duration getPurgeInterval() {
		return this.purgeInterval;
	}

	public void setPurgeInterval(Duration purgeInterval) {
		this.purgeInterval = purgeInterval;
	}

	public int getPurgeBatchSize() {
		return this.purgeBatchSize;
	}

	public void setPurgeBatchSize(int purgeBatchSize) {
		this.purgeBatchSize = purgeBatchSize;
	}

	public @Nullable String getInstanceId() {
		return this.instanceId;
	}

	public void setInstanceId(@Nullable String instanceId) {
		this.instanceId = instanceId;
	}

	public boolean isListen() {
		return this.listen;
	}

	public void setListen(boolean listen) {
		this.listen = listen;
	}

	public Kafka getKafka() {
		return this.kafka;
	}

	/**
	 * Backoff between delivery attempts of one event.
	 */
	public static class Backoff {

		/**
		 * Delay after the first failure.
		 */
		private Duration initialInterval = OutboxRelay.DEFAULT_BACKOFF_INITIAL_INTERVAL;

		/**
		 * Factor applied to the delay for each further failure.
		 */
		private double multiplier = OutboxRelay.DEFAULT_BACKOFF_MULTIPLIER;

		/**
		 * Upper bound of the delay.
		 */
		private Duration maxInterval = OutboxRelay.DEFAULT_BACKOFF_MAX_INTERVAL;

		/**
		 * Fraction between 0 and 1 by which each delay is randomly shortened, so retries
		 * of many events spread out.
		 */
		private double jitter = OutboxRelay.DEFAULT_BACKOFF_JITTER;

		public Duration getInitialInterval() {
			return this.initialInterval;
		}

		public void setInitialInterval(Duration initialInterval) {
			this.initialInterval = initialInterval;
		}

		public double getMultiplier() {
			return this.multiplier;
		}

		public void setMultiplier(double multiplier) {
			this.multiplier = multiplier;
		}

		public Duration getMaxInterval() {
			return this.maxInterval;
		}

		public void setMaxInterval(Duration maxInterval) {
			this.maxInterval = maxInterval;
		}

		public double getJitter() {
			return this.jitter;
		}

		public void setJitter(double jitter) {
			this.jitter = jitter;
		}

	}

	/**
	 * The relay's own Kafka producer.
	 */
	public static class Kafka {

		/**
		 * Extra Kafka producer properties of the relay's producer, over
		 * "spring.kafka.producer.*". acks=all and enable.idempotence=true are enforced.
		 */
		private Map<String, String> producer = new LinkedHashMap<>();

		public Map<String, String> getProducer() {
			return this.producer;
		}

		public void setProducer(Map<String, String> producer) {
			this.producer = producer;
		}

	}

}
