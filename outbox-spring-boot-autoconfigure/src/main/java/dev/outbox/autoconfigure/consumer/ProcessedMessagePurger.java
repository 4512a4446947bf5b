package dev.outbox.autoconfigure.consumer;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.outbox.consumer.IdempotentConsumer;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.context.SmartLifecycle;

/**
 * Deletes processed message ids older than the retention at a fixed interval, on a daemon
 * thread of its own.
 */
final class ProcessedMessagePurger implements SmartLifecycle {

	private static final Log logger = LogFactory.getLog(ProcessedMessagePurger.class);

	private final IdempotentConsumer consumer;

	private final Duration retention;

	private final Duration interval;

	private @Nullable ScheduledExecutorService executor;

	ProcessedMessagePurger(IdempotentConsumer consumer, Duration retention, Duration interval) {
		this.consumer = consumer;
		this.retention = retention;
		this.interval = interval;
	}

	@Override
	public synchronized void start() {
		if (this.executor == null) {
			ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor((runnable) -> {
				Thread thread = new Thread(runnable, "outbox-consumer-purge");
				thread.setDaemon(true);
				return thread;
			});
			long millis = this.interval.toMillis();
			executor.scheduleWithFixedDelay(this::purge, millis, millis, TimeUnit.MILLISECONDS);
			this.executor = executor;
		}
	}

	/**
	 * Purge now.
	 * @return the number of deleted ids, -1 if the purge failed
	 */
	long purge() {
		try {
			return this.consumer.purge(this.retention);
		}
		catch (RuntimeException ex) {
			logger.warn("Purging processed message ids failed, retrying in " + this.interval + ": " + ex.getMessage());
			return -1;
		}
	}

	@Override
	public synchronized void stop() {
		if (this.executor != null) {
			this.executor.shutdownNow();
			this.executor = null;
		}
	}

	@Override
	public synchronized boolean isRunning() {
		return this.executor != null;
	}

}
