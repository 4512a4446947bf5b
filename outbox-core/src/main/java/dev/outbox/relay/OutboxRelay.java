package dev.outbox.relay;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.DoubleSupplier;

import javax.sql.DataSource;

import dev.outbox.OutboxDatabase;
import dev.outbox.OutboxTables;
import dev.outbox.spi.OutboxRelayListener;
import dev.outbox.spi.OutboxSender;
import dev.outbox.spi.Partitions;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Delivers committed outbox events to the broker: a polling publisher woken on commit.
 * <p>
 * Each instance owns a share of the relay partitions (leases renewed by heartbeats, see
 * the table {@code <event table>_lease}); it reads the due pending events of its
 * partitions in insertion order, sends them in bulk through the {@link OutboxSender} of
 * their destination, waits for every confirm, and marks the confirmed ones published in
 * one statement. Failed events are retried with exponential backoff and jitter, and
 * parked after {@code maxAttempts}; the later events of a parked or backing-off key wait
 * behind it while other keys keep flowing. No connection or row lock is held while
 * waiting on the broker.
 * <p>
 * The relay survives any {@link Throwable} of a batch: it logs it, backs off and goes on.
 * An {@link Error} (such as {@link StackOverflowError} or {@link OutOfMemoryError})
 * thrown by a sender or anywhere in a batch is the relay's failure, not the events': it
 * counts no delivery attempt, and the events are sent again (possibly a second time).
 * When {@value #MAX_CONSECUTIVE_ERRORS} batches in a row end in an {@code Error}, or the
 * relay thread ends for any unexpected reason, the relay gives up: it stops heartbeating
 * and releases its partitions at once, so that other instances take them over, and
 * reports the cause through {@link #failure()}.
 * <p>
 * Built with {@link #builder(DataSource, OutboxTables)}; {@link #start()} and
 * {@link #stop()} control it, {@link #wakeUp()} makes it look for work at once.
 */
public final class OutboxRelay {

	/** Default maximum number of events sent in one batch. */
	public static final int DEFAULT_BATCH_SIZE = RelaySettings.DEFAULT_BATCH_SIZE;

	/** Default maximum payload and header bytes of one batch: 4 MiB. */
	public static final long DEFAULT_BATCH_MAX_BYTES = RelaySettings.DEFAULT_BATCH_MAX_BYTES;

	/** Default interval between polls when nothing wakes the relay. */
	public static final Duration DEFAULT_POLL_INTERVAL = RelaySettings.DEFAULT_POLL_INTERVAL;

	/** Default time to wait for the confirms of a batch. */
	public static final Duration DEFAULT_SEND_TIMEOUT = RelaySettings.DEFAULT_SEND_TIMEOUT;

	/** Default number of failed attempts after which an event is parked. */
	public static final int DEFAULT_MAX_ATTEMPTS = RelaySettings.DEFAULT_MAX_ATTEMPTS;

	/** Default delay after the first failure. */
	public static final Duration DEFAULT_BACKOFF_INITIAL_INTERVAL = RelaySettings.DEFAULT_BACKOFF_INITIAL_INTERVAL;

	/** Default factor applied to the delay per further failure. */
	public static final double DEFAULT_BACKOFF_MULTIPLIER = RelaySettings.DEFAULT_BACKOFF_MULTIPLIER;

	/** Default upper bound of the delay between attempts. */
	public static final Duration DEFAULT_BACKOFF_MAX_INTERVAL = RelaySettings.DEFAULT_BACKOFF_MAX_INTERVAL;

	/** Default fraction by which a delay is randomly shortened. */
	public static final double DEFAULT_BACKOFF_JITTER = RelaySettings.DEFAULT_BACKOFF_JITTER;

	/** Default duration of a partition lease; heartbeats run every third of it. */
	public static final Duration DEFAULT_LEASE_DURATION = RelaySettings.DEFAULT_LEASE_DURATION;

	/** Default time published rows are kept: zero, deleted when confirmed. */
	public static final Duration DEFAULT_RETENTION = RelaySettings.DEFAULT_RETENTION;

	/** Default interval between purges of published rows past their retention. */
	public static final Duration DEFAULT_PURGE_INTERVAL = RelaySettings.DEFAULT_PURGE_INTERVAL;

	/** Default number of rows deleted per purge statement. */
	public static final int DEFAULT_PURGE_BATCH_SIZE = RelaySettings.DEFAULT_PURGE_BATCH_SIZE;

	private static final Log logger = LogFactory.getLog(OutboxRelay.class);

	/**
	 * Number of batches in a row ending in an {@link Error} after which the relay gives
	 * up.
	 */
	static final int MAX_CONSECUTIVE_ERRORS = RelayLoop.MAX_CONSECUTIVE_ERRORS;

	private final DataSource dataSource;

	private final OutboxDatabase database;

	private final RelaySettings settings;

	private final PartitionLeases leases;

	private final BatchClaimer claimer;

	private final OrderedDelivery delivery;

	private final OutcomeRecorder recorder;

	private final RelayHousekeeping housekeeping;

	private final RelayLoop loop;

	/** Held for a whole batch; taken by the lease manager to release partitions. */
	private final ReentrantLock batchLock = new ReentrantLock(true);

	private final Object lifecycleMonitor = new Object();

	private volatile @Nullable Throwable failure;

	private volatile @Nullable NotificationListener notificationListener;

	private OutboxRelay(Builder builder) {
		this.dataSource = builder.dataSource;
		this.settings = new RelaySettings(builder);
		this.database = (builder.database != null) ? builder.database : OutboxDatabase.of(builder.dataSource);
		RelayStore store = this.database.isMySqlFamily() ? new MySqlRelayStore(builder.dataSource, builder.tables)
				: new JdbcRelayStore(builder.dataSource, builder.tables);
		this.recorder = new OutcomeRecorder(store, this.settings, builder.clock, builder.random, builder.listener,
				OutcomeRecorder.storeRetry());
		// a partition is released only once its confirmed events are marked published
		this.leases = new PartitionLeases(LeaseStatements.of(this.database, builder.dataSource, builder.tables),
				this.settings.instanceId, this.settings.partitions, this.settings.leaseDuration, this.batchLock,
				this.recorder::awaitRecorded);
		this.claimer = new BatchClaimer(store, this.leases::ownedUntil, this.settings);
		this.delivery = new OrderedDelivery(this.settings.routes, this.settings.sendTimeout, builder.clock);
		this.loop = new RelayLoop(() -> relayOnce(true), this::giveUp, this.recorder::takeScheduledRetry,
				this.settings);
		this.housekeeping = new RelayHousekeeping(store, this.leases, this.claimer::sendablePartitions,
				this.loop::wakeUp, this.settings);
	}

	/**
	 * Start building a relay.
	 * @param dataSource the data source of the outbox tables
	 * @param tables the outbox table names
	 * @return a builder
	 */
	public static Builder builder(DataSource dataSource, OutboxTables tables) {
		return new Builder(dataSource, tables);
	}

	/**
	 * Start relaying: register this instance, acquire its share of partitions and start
	 * the relay, heartbeat and listen threads. Does nothing if already running. Starts
	 * again a relay that gave up (clearing its {@link #failure()}).
	 */
	public void start() {
		synchronized (this.lifecycleMonitor) {
			if (this.loop.isRunning()) {
				return;
			}
			this.failure = null;
			this.leases.initialize();
			this.leases.heartbeat();
			this.housekeeping.start();
			// MariaDB and MySQL have no notifications: in-JVM wake-ups and polling only
			String channel = this.settings.notifyChannel;
			if (channel != null && this.database == OutboxDatabase.POSTGRESQL) {
				NotificationListener notifications = new NotificationListener(this.dataSource, channel, this::wakeUp);
				notifications.start("outbox-relay-listen");
				this.notificationListener = notifications;
			}
			this.loop.start();
			logger.info(
					"Outbox relay " + this.settings.instanceId + " started, owning partitions " + this.leases.owned());
		}
	}

	/**
	 * Stop relaying: stop claiming, let the batch in flight finish (within the send
	 * timeout and a margin), release the partitions and remove this instance, so other
	 * instances take over at once. Does nothing if not running.
	 */
	public void stop() {
		synchronized (this.lifecycleMonitor) {
			if (!this.loop.isRunning()) {
				return;
			}
			this.loop.requestStop();
			NotificationListener notifications = this.notificationListener;
			if (notifications != null) {
				notifications.stop();
				this.notificationListener = null;
			}
			ScheduledExecutorService executor = this.housekeeping.stop();
			boolean idle = false;
			try {
				idle = this.loop.awaitStopped(this.settings.sendTimeout.plusSeconds(5));
				if (executor != null) {
					executor.awaitTermination(5, TimeUnit.SECONDS);
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			if (idle) {
				try {
					this.recorder.awaitRecorded();
					this.leases.releaseAll();
				}
				catch (RuntimeException ex) {
					logger.warn(
							"Outbox relay " + this.settings.instanceId
									+ " could not release its partitions; they are taken over when the leases expire",
							ex);
				}
				logger.info("Outbox relay " + this.settings.instanceId + " stopped");
			}
			else {
				logger.warn("Outbox relay " + this.settings.instanceId
						+ " did not finish its batch in time; its partitions are taken over when the leases expire");
			}
		}
	}

	/**
	 * Whether the relay is running.
	 * @return whether it was started, and neither stopped nor gave up
	 */
	public boolean isRunning() {
		return this.loop.isRunning();
	}

	/**
	 * Why the relay gave up: {@value #MAX_CONSECUTIVE_ERRORS} batches in a row ended in
	 * an {@link Error}, or its thread ended unexpectedly. It released its partitions and
	 * relays nothing more until started again.
	 * @return the cause, or {@code null} if the relay did not give up since it was last
	 * started
	 */
	public @Nullable Throwable failure() {
		return this.failure;
	}

	/**
	 * Look for events at once instead of at the next poll, for example right after a
	 * commit. Returns immediately.
	 */
	public void wakeUp() {
		this.loop.wakeUp();
	}

	/**
	 * The id of this relay instance in the instance and lease tables.
	 * @return the instance id
	 */
	public String instanceId() {
		return this.settings.instanceId;
	}

	/**
	 * The partitions this instance currently owns: those whose lease is valid by this
	 * instance's reckoning.
	 * @return the partitions, sorted
	 */
	public Set<Integer> ownedPartitions() {
		return this.leases.owned();
	}

	/**
	 * Deliver every due event now, on the calling thread, batch after batch, until none
	 * is left or a batch makes no progress (for tests, and for applications that drive
	 * the relay themselves). A started relay uses the partitions it owns; a relay that is
	 * not started claims its share of the partitions for the call and releases them
	 * before returning. Events that fail are recorded as the running relay would
	 * (backoff, parking) and not retried within the call.
	 */
	public void deliverDue() {
		synchronized (this.lifecycleMonitor) {
			boolean oneShot = !this.loop.isRunning();
			if (oneShot) {
				claimPartitions();
			}
			try {
				for (int round = 0; round < 10_000; round++) {
					if (!relayOnce().moreWaiting()) {
						break;
					}
				}
			}
			finally {
				if (oneShot) {
					this.leases.releaseAll();
				}
			}
		}
	}

	/**
	 * Run one pass of the pipeline now on the calling thread, whether or not the relay is
	 * started (partitions must be owned, so after {@link #start()} or for tests): claim a
	 * batch ({@link BatchClaimer}), deliver it in key order ({@link OrderedDelivery}) and
	 * record the outcome ({@link OutcomeRecorder}), all of it before returning.
	 * @return how many events were claimed, and whether more are waiting
	 */
	RelayPass relayOnce() {
		return relayOnce(false);
	}

	/**
	 * Run one pass of the pipeline. The relay thread records the confirmed events
	 * concurrently with its next pass, which leaves them out of its fetch until they are
	 * marked (failures are always recorded before the next fetch); see
	 * {@link OutcomeRecorder#recordConcurrently}; and it marks expired events at most
	 * once per poll interval ({@link BatchClaimer#claimForLoop}).
	 */
	private RelayPass relayOnce(boolean relayThread) {
		this.batchLock.lock();
		try {
			Set<UUID> unrecorded = this.recorder.unrecorded();
			BatchClaimer.Claim claim = relayThread ? this.claimer.claimForLoop(unrecorded)
					: this.claimer.claim(unrecorded);
			this.recorder.recordExpired(claim.expired());
			if (claim.events().isEmpty()) {
				if (claim.onlyUnrecorded()) {
					// due events are being marked: read again once they are
					this.recorder.awaitRecorded();
					return new RelayPass(0, true, claim.nextDue());
				}
				if (!relayThread) {
					this.recorder.awaitRecorded();
				}
				return new RelayPass(0, claim.moreWaiting(), claim.nextDue());
			}
			DeliveryOutcome outcome = this.delivery.deliver(claim.events());
			if (relayThread) {
				this.recorder.recordConcurrently(outcome);
			}
			else {
				this.recorder.record(outcome);
			}
			return new RelayPass(claim.events().size(), claim.moreWaiting() || outcome.anyLeftOver(), claim.nextDue());
		}
		finally {
			this.batchLock.unlock();
		}
	}

	/**
	 * Stop relaying after a failure the relay cannot go on with: release the partitions
	 * at once so other instances take them over (later heartbeats do nothing), stop
	 * heartbeating and listening, then report the cause through {@link #failure()}. Runs
	 * on the relay thread, so no batch is in flight; the relay stays running meanwhile so
	 * that a concurrent {@link #stop()} waits for it.
	 */
	private void giveUp(Throwable cause) {
		String instanceId = this.settings.instanceId;
		logger.error("Outbox relay " + instanceId
				+ " gives up: it releases its partitions so that other instances relay them, and relays nothing more until restarted",
				cause);
		try {
			this.recorder.awaitRecorded();
			this.leases.releaseAll();
		}
		catch (Throwable ex) {
			logger.error("Outbox relay " + instanceId
					+ " could not release its partitions; they are taken over when the leases expire", ex);
		}
		try {
			this.housekeeping.stop();
			NotificationListener notifications = this.notificationListener;
			if (notifications != null) {
				notifications.stop();
			}
		}
		catch (Throwable ex) {
			logger.warn("Outbox relay " + instanceId + " could not stop its heartbeat or listener: " + ex);
		}
		this.failure = cause;
	}

	/**
	 * Create the lease rows and run one heartbeat now (for tests driving the relay by
	 * hand).
	 */
	void claimPartitions() {
		this.leases.initialize();
		this.leases.heartbeat();
	}

	/**
	 * Delete published rows older than the retention, and expired rows whose expiry is,
	 * now, in batches (the relay also does this every purge interval).
	 */
	void purgeNow() {
		this.housekeeping.purge();
	}

	/**
	 * Builder of {@link OutboxRelay}; every setting has a default.
	 */
	public static final class Builder {

		final DataSource dataSource;

		final OutboxTables tables;

		final List<OutboxSender> senders = new ArrayList<>();

		@Nullable String defaultBroker;

		final Map<String, String> destinations = new LinkedHashMap<>();

		int partitions = RelaySettings.DEFAULT_PARTITIONS;

		int batchSize = DEFAULT_BATCH_SIZE;

		long batchMaxBytes = DEFAULT_BATCH_MAX_BYTES;

		Duration pollInterval = DEFAULT_POLL_INTERVAL;

		Duration sendTimeout = DEFAULT_SEND_TIMEOUT;

		int maxAttempts = DEFAULT_MAX_ATTEMPTS;

		Duration backoffInitialInterval = DEFAULT_BACKOFF_INITIAL_INTERVAL;

		double backoffMultiplier = DEFAULT_BACKOFF_MULTIPLIER;

		Duration backoffMaxInterval = DEFAULT_BACKOFF_MAX_INTERVAL;

		double backoffJitter = DEFAULT_BACKOFF_JITTER;

		Duration leaseDuration = DEFAULT_LEASE_DURATION;

		Duration retention = DEFAULT_RETENTION;

		Duration purgeInterval = DEFAULT_PURGE_INTERVAL;

		int purgeBatchSize = DEFAULT_PURGE_BATCH_SIZE;

		@Nullable String instanceId;

		@Nullable String notifyChannel;

		@Nullable OutboxDatabase database;

		Clock clock = Clock.systemUTC();

		DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();

		OutboxRelayListener listener = new OutboxRelayListener() {
		};

		private Builder(DataSource dataSource, OutboxTables tables) {
			this.dataSource = dataSource;
			this.tables = tables;
		}

		/**
		 * Add a sender; a destination is sent through the sender its broker name routes
		 * to.
		 * @param sender the sender
		 * @return this builder
		 */
		public Builder sender(OutboxSender sender) {
			this.senders.add(sender);
			return this;
		}

		/**
		 * Add senders.
		 * @param senders the senders
		 * @return this builder
		 */
		public Builder senders(List<? extends OutboxSender> senders) {
			this.senders.addAll(senders);
			return this;
		}

		/**
		 * The broker of destinations not routed explicitly (default: the only sender's
		 * name; required with several senders unless every destination is routed).
		 * @param broker a sender name, for example {@code kafka}
		 * @return this builder
		 */
		public Builder broker(@Nullable String broker) {
			this.defaultBroker = broker;
			return this;
		}

		/**
		 * Route one destination to a broker.
		 * @param destination the destination
		 * @param broker a sender name
		 * @return this builder
		 */
		public Builder destination(String destination, String broker) {
			this.destinations.put(destination, broker);
			return this;
		}

		/**
		 * Route destinations to brokers.
		 * @param destinations destination to sender name
		 * @return this builder
		 */
		public Builder destinations(Map<String, String> destinations) {
			this.destinations.putAll(destinations);
			return this;
		}

		/**
		 * The number of relay partitions; must equal the writer's.
		 * @param partitions the count (default {@link Partitions#DEFAULT_COUNT})
		 * @return this builder
		 */
		public Builder partitions(int partitions) {
			this.partitions = partitions;
			return this;
		}

		/**
		 * The maximum number of events per batch.
		 * @param batchSize the size (default {@value #DEFAULT_BATCH_SIZE})
		 * @return this builder
		 */
		public Builder batchSize(int batchSize) {
			this.batchSize = batchSize;
			return this;
		}

		/**
		 * The maximum payload and header bytes per batch, so the relay's memory is
		 * bounded whatever the payloads; a batch holds at least one event, however large.
		 * @param batchMaxBytes the bytes (default {@value #DEFAULT_BATCH_MAX_BYTES}, 4
		 * MiB)
		 * @return this builder
		 */
		public Builder batchMaxBytes(long batchMaxBytes) {
			this.batchMaxBytes = batchMaxBytes;
			return this;
		}

		/**
		 * The fallback polling interval when nothing wakes the relay: neither a commit,
		 * nor a notification, nor the due time of a delayed event or of a retry (the end
		 * of its backoff) in its partitions, which each fetch reads.
		 * @param pollInterval the interval (default 1s)
		 * @return this builder
		 */
		public Builder pollInterval(Duration pollInterval) {
			this.pollInterval = pollInterval;
			return this;
		}

		/**
		 * How long to wait for a batch's confirms; unconfirmed events count as failed. At
		 * most half the lease duration.
		 * @param sendTimeout the timeout (default 10s)
		 * @return this builder
		 */
		public Builder sendTimeout(Duration sendTimeout) {
			this.sendTimeout = sendTimeout;
			return this;
		}

		/**
		 * The number of failed attempts after which an event is parked.
		 * @param maxAttempts the count (default {@value #DEFAULT_MAX_ATTEMPTS})
		 * @return this builder
		 */
		public Builder maxAttempts(int maxAttempts) {
			this.maxAttempts = maxAttempts;
			return this;
		}

		/**
		 * The backoff between attempts of one event.
		 * @param initialInterval delay after the first failure (default 1s)
		 * @param multiplier factor per further failure (default 2)
		 * @param maxInterval upper bound (default 5m)
		 * @param jitter fraction in {@code [0, 1]} by which a delay is randomly shortened
		 * (default 0.5)
		 * @return this builder
		 */
		public Builder backoff(Duration initialInterval, double multiplier, Duration maxInterval, double jitter) {
			this.backoffInitialInterval = initialInterval;
			this.backoffMultiplier = multiplier;
			this.backoffMaxInterval = maxInterval;
			this.backoffJitter = jitter;
			return this;
		}

		/**
		 * How long a partition lease lasts without renewal; heartbeats run every third of
		 * it, and a crashed instance's partitions are taken over after it.
		 * @param leaseDuration the duration (default 30s)
		 * @return this builder
		 */
		public Builder leaseDuration(Duration leaseDuration) {
			this.leaseDuration = leaseDuration;
			return this;
		}

		/**
		 * How long published rows are kept; zero deletes them when confirmed. Expired
		 * rows are kept as long from their expiry, and at least until the next purge.
		 * @param retention the retention (default zero)
		 * @return this builder
		 */
		public Builder retention(Duration retention) {
			this.retention = retention;
			return this;
		}

		/**
		 * How often published and expired rows past their retention are purged, and how
		 * many per statement.
		 * @param interval the interval (default 1m)
		 * @param batchSize rows per delete statement (default
		 * {@value #DEFAULT_PURGE_BATCH_SIZE})
		 * @return this builder
		 */
		public Builder purge(Duration interval, int batchSize) {
			this.purgeInterval = interval;
			this.purgeBatchSize = batchSize;
			return this;
		}

		/**
		 * The id of this instance (default: host name and a random UUID).
		 * @param instanceId the id
		 * @return this builder
		 */
		public Builder instanceId(@Nullable String instanceId) {
			this.instanceId = instanceId;
			return this;
		}

		/**
		 * The PostgreSQL channel to {@code LISTEN} on for commits in other JVMs, or
		 * {@code null} to rely on in-JVM wake-ups and polling (default). Ignored on
		 * MariaDB and MySQL, which have no notifications.
		 * @param notifyChannel the channel
		 * @return this builder
		 */
		public Builder notifyChannel(@Nullable String notifyChannel) {
			this.notifyChannel = notifyChannel;
			return this;
		}

		/**
		 * The clock for send deadlines. Partition leases, due times, backoff and
		 * publication times use the database's clock, so instances' clocks may disagree.
		 * @param clock the clock (default UTC system clock)
		 * @return this builder
		 */
		public Builder clock(Clock clock) {
			this.clock = clock;
			return this;
		}

		/**
		 * Told about published, failed and parked events.
		 * @param listener the listener
		 * @return this builder
		 */
		public Builder listener(OutboxRelayListener listener) {
			this.listener = listener;
			return this;
		}

		/**
		 * Set the database of the outbox tables (default: read from a connection of the
		 * data source when the relay is built).
		 * @param database the database, or {@code null} to read it from a connection
		 * @return this builder
		 */
		public Builder database(@Nullable OutboxDatabase database) {
			this.database = database;
			return this;
		}

		Builder random(DoubleSupplier random) {
			this.random = random;
			return this;
		}

		/**
		 * Build the relay (not started).
		 * @return the relay
		 * @throws IllegalArgumentException if a setting is invalid
		 * @throws dev.outbox.OutboxException if the database is not set and cannot be
		 * read from a connection
		 */
		public OutboxRelay build() {
			return new OutboxRelay(this);
		}

	}

}
