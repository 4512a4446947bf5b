package dev.outbox.autoconfigure.consumer;

import java.time.Duration;

import dev.outbox.consumer.MissingMessageIdPolicy;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of the idempotent consumer.
 */
@ConfigurationProperties("outbox.consumer")
public class OutboxConsumerProperties {

	/**
	 * Whether to enable the idempotent consumer: the IdempotentConsumer bean,
	 * the @IdempotentListener support and the purge of old processed message ids.
	 */
	private boolean enabled = true;

	/**
	 * How long processed message ids are kept. A copy of a message redelivered after that
	 * is processed again: keep it longer than any redelivery can happen (broker
	 * retention, consumer lag, replays).
	 */
	private Duration retention = Duration.ofDays(7);

	/**
	 * How often processed message ids older than the retention are deleted.
	 */
	private Duration purgeInterval = Duration.ofHours(1);

	/**
	 * Maximum number of processed message ids deleted per statement when purging.
	 */
	private int purgeBatchSize = 1000;

	/**
	 * What to do with a message that carries no message id: 'reject' throws
	 * MissingMessageIdException without processing it (configure it as not retryable so
	 * it goes to the dead-letter topic or queue); 'process' runs the handler without
	 * deduplication and logs a warning once per consumer.
	 */
	private MissingMessageIdPolicy missingMessageId = MissingMessageIdPolicy.REJECT;

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
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

	public MissingMessageIdPolicy getMissingMessageId() {
		return this.missingMessageId;
	}

	public void setMissingMessageId(MissingMessageIdPolicy missingMessageId) {
		this.missingMessageId = missingMessageId;
	}

}
