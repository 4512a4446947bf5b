package dev.outbox.relay;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The relay's work beside the pipeline, on a thread of its own: heartbeats that renew the
 * partition leases (every third of the lease duration) and wake the relay when it gains
 * sendable partitions, and the purge of published rows past their retention. Neither lets
 * a failure end its schedule.
 */
final class RelayHousekeeping {

	private static final Log logger = LogFactory.getLog(OutboxRelay.class);

	/** The most purge statements in one purge run. */
	private static final int MAX_PURGE_ROUNDS = 1000;

	private final RelayStore store;

	private final PartitionLeases leases;

	private final Supplier<Set<Integer>> sendablePartitions;

	private final Runnable wakeUp;

	private final Duration leaseDuration;

	private final Duration retention;

	private final Duration purgeInterval;

	private final int purgeBatchSize;

	private final String instanceId;

	private volatile @Nullable ScheduledExecutorService scheduler;

	RelayHousekeeping(RelayStore store, PartitionLeases leases, Supplier<Set<Integer>> sendablePartitions,
			Runnable wakeUp, RelaySettings settings) {
		this.store = store;
		this.leases = leases;
		this.sendablePartitions = sendablePartitions;
		this.wakeUp = wakeUp;
		this.leaseDuration = settings.leaseDuration;
		this.retention = settings.retention;
		this.purgeInterval = settings.purgeInterval;
		this.purgeBatchSize = settings.purgeBatchSize;
		this.instanceId = settings.instanceId;
	}

	/**
	 * Schedule heartbeats and purges (also with a zero retention: expired rows are kept
	 * until a purge).
	 */
	void start() {
		ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor((runnable) -> {
			Thread thread = new Thread(runnable, "outbox-relay-heartbeat");
			thread.setDaemon(true);
			return thread;
		});
		long heartbeatMillis = Math.max(1, this.leaseDuration.toMillis() / 3);
		executor.scheduleWithFixedDelay(this::heartbeat, heartbeatMillis, heartbeatMillis, TimeUnit.MILLISECONDS);
		executor.scheduleWithFixedDelay(this::purge, this.purgeInterval.toMillis(), this.purgeInterval.toMillis(),
				TimeUnit.MILLISECONDS);
		this.scheduler = executor;
	}

	/**
	 * Stop scheduling, interrupting a heartbeat or purge in progress.
	 * @return the stopped executor, to await its termination, or {@code null} if not
	 * started
	 */
	@Nullable ScheduledExecutorService stop() {
		ScheduledExecutorService executor = this.scheduler;
		if (executor != null) {
			executor.shutdownNow();
			this.scheduler = null;
		}
		return executor;
	}

	void heartbeat() {
		// a failure escaping a scheduled task would cancel every later heartbeat
		try {
			Set<Integer> before = this.sendablePartitions.get();
			this.leases.heartbeat();
			// Partitions taken over, or leases renewed after they ran out (heartbeats
			// failed while the database was away): their pending events were skipped and
			// nothing else may wake the relay before the next poll.
			if (!before.containsAll(this.sendablePartitions.get())) {
				this.wakeUp.run();
			}
		}
		catch (RuntimeException ex) {
			logger.warn("Outbox relay " + this.instanceId
					+ " heartbeat failed; it stops sending when its leases run out: " + ex);
		}
		catch (Throwable ex) {
			logger.error(
					"Outbox relay " + this.instanceId + " heartbeat failed; it stops sending when its leases run out",
					ex);
		}
	}

	void purge() {
		try {
			int deleted;
			int rounds = 0;
			do {
				deleted = this.store.purge(this.retention, this.purgeBatchSize);
			}
			while (deleted >= this.purgeBatchSize && ++rounds < MAX_PURGE_ROUNDS
					&& !Thread.currentThread().isInterrupted());
		}
		catch (RuntimeException ex) {
			logger.warn("Outbox relay " + this.instanceId + " failed to purge published and expired events: " + ex);
		}
		catch (Throwable ex) {
			logger.error("Outbox relay " + this.instanceId + " failed to purge published and expired events", ex);
		}
	}

}
