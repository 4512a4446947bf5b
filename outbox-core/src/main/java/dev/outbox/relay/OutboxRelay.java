package dev.outbox.relay;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.DoubleSupplier;

import javax.sql.DataSource;

import dev.outbox.OutboxTables;
import dev.outbox.SqlIdentifiers;
import dev.outbox.spi.NotAttemptedException;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxRelayListener;
import dev.outbox.spi.OutboxSender;
import dev.outbox.spi.Partitions;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.core.retry.RetryException;
import org.springframework.core.retry.RetryPolicy;
import org.springframework.core.retry.RetryTemplate;
import org.springframework.dao.DataAccessException;

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
	public static final int DEFAULT_BATCH_SIZE = 500;

	/** Default maximum payload and header bytes of one batch: 4 MiB. */
	public static final long DEFAULT_BATCH_MAX_BYTES = 4L * 1024 * 1024;

	/** Default interval between polls when nothing wakes the relay. */
	public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

	/** Default time to wait for the confirms of a batch. */
	public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(10);

	/** Default number of failed attempts after which an event is parked. */
	public static final int DEFAULT_MAX_ATTEMPTS = 10;

	/** Default delay after the first failure. */
	public static final Duration DEFAULT_BACKOFF_INITIAL_INTERVAL = Duration.ofSeconds(1);

	/** Default factor applied to the delay per further failure. */
	public static final double DEFAULT_BACKOFF_MULTIPLIER = 2.0;

	/** Default upper bound of the delay between attempts. */
	public static final Duration DEFAULT_BACKOFF_MAX_INTERVAL = Duration.ofMinutes(5);

	/** Default fraction by which a delay is randomly shortened. */
	public static final double DEFAULT_BACKOFF_JITTER = 0.5;

	/** Default duration of a partition lease; heartbeats run every third of it. */
	public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(30);

	/** Default time published rows are kept: zero, deleted when confirmed. */
	public static final Duration DEFAULT_RETENTION = Duration.ZERO;

	/** Default interval between purges of published rows past their retention. */
	public static final Duration DEFAULT_PURGE_INTERVAL = Duration.ofMinutes(1);

	/** Default number of rows deleted per purge statement. */
	public static final int DEFAULT_PURGE_BATCH_SIZE = 1000;

	private static final Log logger = LogFactory.getLog(OutboxRelay.class);

	private static final Duration FAILURE_WARNING_INTERVAL = Duration.ofSeconds(30);

	/**
	 * Number of batches in a row ending in an {@link Error} after which the relay gives
	 * up: one may be transient (a deep payload overflowing a serializer's stack), several
	 * in a row mean this instance cannot relay.
	 */
	static final int MAX_CONSECUTIVE_ERRORS = 3;

	private final DataSource dataSource;

	private final Map<String, OutboxSender> senders;

	private final @Nullable String defaultBroker;

	private final Map<String, String> destinations;

	private final int batchSize;

	private final long batchMaxBytes;

	private final Duration pollInterval;

	private final Duration sendTimeout;

	private final int maxAttempts;

	private final Backoff backoff;

	private final Duration leaseDuration;

	private final Duration retention;

	private final Duration purgeInterval;

	private final int purgeBatchSize;

	private final String instanceId;

	private final @Nullable String notifyChannel;

	private final Clock clock;

	private final DoubleSupplier random;

	private final FailureWarnings failureWarnings;

	private final OutboxRelayListener listener;

	private final RelayStore store;

	private final PartitionLeases leases;

	private final RetryTemplate storeRetry;

	/** Held for a whole batch; taken by the lease manager to release partitions. */
	private final ReentrantLock batchLock = new ReentrantLock(true);

	private final Semaphore wakeUps = new Semaphore(0);

	/**
	 * Whether the last short batch filled a partition's share: the next fetch lets each
	 * partition fill the whole batch (guarded by the batch lock).
	 */
	private boolean skewed;

	private final Object lifecycleMonitor = new Object();

	private volatile boolean running;

	private volatile @Nullable Throwable failure;

	private @Nullable Thread loopThread;

	private volatile @Nullable ScheduledExecutorService scheduler;

	private volatile @Nullable NotificationListener notificationListener;

	private OutboxRelay(Builder builder) {
		this.dataSource = builder.dataSource;
		Map<String, OutboxSender> byName = new LinkedHashMap<>();
		for (OutboxSender sender : builder.senders) {
			if (byName.putIfAbsent(sender.name(), sender) != null) {
				throw new IllegalArgumentException("Two outbox senders are named '" + sender.name() + "'");
			}
		}
		this.senders = Map.copyOf(byName);
		this.defaultBroker = (builder.defaultBroker != null) ? builder.defaultBroker
				: (byName.size() == 1) ? byName.keySet().iterator().next() : null;
		if (this.defaultBroker != null && !byName.containsKey(this.defaultBroker)) {
			throw new IllegalArgumentException(
					"The outbox broker '" + this.defaultBroker + "' has no sender; available: " + byName.keySet());
		}
		builder.destinations.forEach((destination, broker) -> {
			if (!byName.containsKey(broker)) {
				throw new IllegalArgumentException("The outbox destination '" + destination + "' is routed to broker '"
						+ broker + "', which has no sender; available: " + byName.keySet());
			}
		});
		this.destinations = Map.copyOf(builder.destinations);
		this.batchSize = requirePositive(builder.batchSize, "batch size");
		if (builder.batchMaxBytes < 1) {
			throw new IllegalArgumentException(
					"The relay batch max bytes must be at least 1, was " + builder.batchMaxBytes);
		}
		this.batchMaxBytes = builder.batchMaxBytes;
		this.pollInterval = requirePositive(builder.pollInterval, "poll interval");
		this.sendTimeout = requirePositive(builder.sendTimeout, "send timeout");
		this.maxAttempts = requirePositive(builder.maxAttempts, "max attempts");
		this.backoff = new Backoff(builder.backoffInitialInterval, builder.backoffMultiplier,
				builder.backoffMaxInterval, builder.backoffJitter);
		this.leaseDuration = requirePositive(builder.leaseDuration, "lease duration");
		if (this.sendTimeout.multipliedBy(2).compareTo(this.leaseDuration) > 0) {
			throw new IllegalArgumentException("The send timeout (" + this.sendTimeout
					+ ") must be at most half the lease duration (" + this.leaseDuration
					+ ") so a batch completes while its partitions are owned; raise the lease duration or lower the send timeout");
		}
		if (builder.retention.isNegative()) {
			throw new IllegalArgumentException("Retention must not be negative");
		}
		this.retention = builder.retention;
		this.purgeInterval = requirePositive(builder.purgeInterval, "purge interval");
		this.purgeBatchSize = requirePositive(builder.purgeBatchSize, "purge batch size");
		this.instanceId = (builder.instanceId != null) ? builder.instanceId : defaultInstanceId();
		this.notifyChannel = (builder.notifyChannel != null)
				? SqlIdentifiers.requireValid(builder.notifyChannel, "notifyChannel", "outbox") : null;
		this.clock = builder.clock;
		this.random = builder.random;
		this.failureWarnings = new FailureWarnings(this.clock, FAILURE_WARNING_INTERVAL);
		this.listener = builder.listener;
		this.store = new RelayStore(builder.dataSource, builder.tables);
		this.leases = new PartitionLeases(builder.dataSource, builder.tables, this.instanceId,
				requirePositive(builder.partitions, "partitions"), this.leaseDuration, this.batchLock);
		this.storeRetry = new RetryTemplate(RetryPolicy.builder()
			.maxRetries(5)
			.delay(Duration.ofMillis(100))
			.multiplier(2.0)
			.maxDelay(Duration.ofSeconds(2))
			.jitter(Duration.ofMillis(50))
			.build());
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
			if (this.running) {
				return;
			}
			this.failure = null;
			this.leases.initialize();
			this.leases.heartbeat();
			this.running = true;
			ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor((runnable) -> {
				Thread thread = new Thread(runnable, "outbox-relay-heartbeat");
				thread.setDaemon(true);
				return thread;
			});
			long heartbeatMillis = Math.max(1, this.leaseDuration.toMillis() / 3);
			executor.scheduleWithFixedDelay(this::heartbeat, heartbeatMillis, heartbeatMillis, TimeUnit.MILLISECONDS);
			if (!this.retention.isZero()) {
				executor.scheduleWithFixedDelay(this::purge, this.purgeInterval.toMillis(),
						this.purgeInterval.toMillis(), TimeUnit.MILLISECONDS);
			}
			this.scheduler = executor;
			if (this.notifyChannel != null) {
				NotificationListener notifications = new NotificationListener(this.dataSource, this.notifyChannel,
						this::wakeUp);
				notifications.start("outbox-relay-listen");
				this.notificationListener = notifications;
			}
			Thread loop = new Thread(this::loop, "outbox-relay");
			loop.setDaemon(true);
			this.loopThread = loop;
			loop.start();
			logger.info("Outbox relay " + this.instanceId + " started, owning partitions " + this.leases.owned());
		}
	}

	/**
	 * Stop relaying: stop claiming, let the batch in flight finish (within the send
	 * timeout and a margin), release the partitions and remove this instance, so other
	 * instances take over at once. Does nothing if not running.
	 */
	public void stop() {
		synchronized (this.lifecycleMonitor) {
			if (!this.running) {
				return;
			}
			this.running = false;
			this.wakeUps.release();
			NotificationListener notifications = this.notificationListener;
			if (notifications != null) {
				notifications.stop();
				this.notificationListener = null;
			}
			ScheduledExecutorService executor = this.scheduler;
			if (executor != null) {
				executor.shutdownNow();
				this.scheduler = null;
			}
			boolean idle = false;
			Thread loop = this.loopThread;
			try {
				if (loop != null) {
					loop.join(this.sendTimeout.plusSeconds(5).toMillis());
				}
				if (executor != null) {
					executor.awaitTermination(5, TimeUnit.SECONDS);
				}
				idle = (loop == null || !loop.isAlive());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			this.loopThread = null;
			if (idle) {
				try {
					this.leases.releaseAll();
				}
				catch (RuntimeException ex) {
					logger.warn(
							"Outbox relay " + this.instanceId
									+ " could not release its partitions; they are taken over when the leases expire",
							ex);
				}
				logger.info("Outbox relay " + this.instanceId + " stopped");
			}
			else {
				logger.warn("Outbox relay " + this.instanceId
						+ " did not finish its batch in time; its partitions are taken over when the leases expire");
			}
		}
	}

	/**
	 * Whether the relay is running.
	 * @return whether it was started, and neither stopped nor gave up
	 */
	public boolean isRunning() {
		return this.running;
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
		if (this.wakeUps.availablePermits() == 0) {
			this.wakeUps.release();
		}
	}

	/**
	 * The id of this relay instance in the instance and lease tables.
	 * @return the instance id
	 */
	public String instanceId() {
		return this.instanceId;
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
			boolean oneShot = !this.running;
			if (oneShot) {
				claimPartitions();
			}
			try {
				// a full batch means more may be waiting; a short one means none is due
				for (int round = 0; round < 10_000; round++) {
					if (relayOnce() < this.batchSize) {
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
	 * Run one batch now on the calling thread, whether or not the relay is started
	 * (partitions must be owned, so after {@link #start()} or for tests).
	 * @return the number of events sent, or the batch size when more are waiting
	 */
	int relayOnce() {
		this.batchLock.lock();
		try {
			Set<Integer> partitions = sendablePartitions();
			if (partitions.isEmpty()) {
				return 0;
			}
			// read each partition by index, a fair share of the batch (twice, for skew),
			// or
			// up to the whole batch while the work sits in few partitions (a hot key)
			int perPartition = this.skewed ? this.batchSize
					: Math.max(8, 2 * ((this.batchSize + partitions.size() - 1) / partitions.size()));
			RelayStore.Fetched fetched = this.store.fetch(partitions, perPartition, this.batchSize, this.batchMaxBytes);
			List<ClaimedEvent> batch = fetched.events();
			if (batch.isEmpty()) {
				return 0;
			}
			boolean leftOver = deliver(batch);
			if (leftOver || batch.size() >= this.batchSize || fetched.cutByBytes()) {
				return this.batchSize;
			}
			// a partition that filled its share may hold more: tell the loop to go on
			Map<Integer, Integer> perPartitionCounts = new HashMap<>();
			batch.forEach((event) -> perPartitionCounts.merge(event.partition(), 1, Integer::sum));
			this.skewed = perPartitionCounts.values().stream().anyMatch((count) -> count >= perPartition);
			return this.skewed ? this.batchSize : batch.size();
		}
		finally {
			this.batchLock.unlock();
		}
	}

	/**
	 * The partitions a batch may be sent for: those whose lease outlives the send with a
	 * margin, on the monotonic clock.
	 */
	private Set<Integer> sendablePartitions() {
		return this.leases.ownedUntil(System.nanoTime() + this.sendTimeout.plus(margin()).toNanos());
	}

	private Duration margin() {
		return this.leaseDuration.dividedBy(10);
	}

	private void loop() {
		Throwable cause = null;
		try {
			relayUntilStopped();
		}
		catch (Throwable ex) {
			cause = ex;
		}
		finally {
			if (this.running) {
				giveUp((cause != null) ? cause : new IllegalStateException("The relay thread ended unexpectedly"));
			}
		}
	}

	/**
	 * Relay batches until stopped. Returns normally when stopped, or when interrupted
	 * (unexpected while running); throws the {@link Error} of the last batch when it is
	 * the {@value #MAX_CONSECUTIVE_ERRORS}th in a row.
	 */
	private void relayUntilStopped() {
		long errorDelay = 100;
		int consecutiveErrors = 0;
		while (this.running) {
			boolean full = false;
			boolean failed = true;
			try {
				full = relayOnce() >= this.batchSize;
				failed = false;
				errorDelay = 100;
				consecutiveErrors = 0;
			}
			catch (DataAccessException ex) {
				// the database is away: every instance suffers it, and the leases run out
				// on their own if it lasts
				logger.warn("Outbox relay " + this.instanceId + " failed to relay a batch; retrying in " + errorDelay
						+ " ms: " + ex);
			}
			catch (Error ex) {
				if (++consecutiveErrors >= MAX_CONSECUTIVE_ERRORS) {
					throw ex;
				}
				logger.error("Outbox relay " + this.instanceId + " failed to relay a batch with an error ("
						+ consecutiveErrors + " in a row, it gives up at " + MAX_CONSECUTIVE_ERRORS
						+ "); no attempt is counted for the events; retrying in " + errorDelay + " ms", ex);
			}
			catch (Throwable ex) {
				logger.error("Outbox relay " + this.instanceId + " failed to relay a batch; retrying in " + errorDelay
						+ " ms", ex);
			}
			if (failed) {
				sleepQuietly(errorDelay);
				errorDelay = Math.min(errorDelay * 2, this.pollInterval.toMillis() * 10);
			}
			if (!full && this.running) {
				try {
					this.wakeUps.tryAcquire(this.pollInterval.toMillis(), TimeUnit.MILLISECONDS);
					this.wakeUps.drainPermits();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
			}
		}
	}

	/**
	 * Stop relaying after a failure the relay cannot go on with: release the partitions
	 * at once so other instances take them over (later heartbeats do nothing), stop
	 * heartbeating and listening, then report the cause through {@link #failure()} and
	 * {@link #isRunning()}. Runs on the relay thread, so no batch is in flight; it stays
	 * running meanwhile so that a concurrent {@link #stop()} waits for it.
	 */
	private void giveUp(Throwable cause) {
		logger.error("Outbox relay " + this.instanceId
				+ " gives up: it releases its partitions so that other instances relay them, and relays nothing more until restarted",
				cause);
		try {
			this.leases.releaseAll();
		}
		catch (Throwable ex) {
			logger.error("Outbox relay " + this.instanceId
					+ " could not release its partitions; they are taken over when the leases expire", ex);
		}
		try {
			ScheduledExecutorService executor = this.scheduler;
			if (executor != null) {
				executor.shutdownNow();
			}
			NotificationListener notifications = this.notificationListener;
			if (notifications != null) {
				notifications.stop();
			}
		}
		catch (Throwable ex) {
			logger.warn("Outbox relay " + this.instanceId + " could not stop its heartbeat or listener: " + ex);
		}
		this.failure = cause;
		this.running = false;
	}

	/**
	 * Send a batch, await the confirms and record the outcome.
	 * <p>
	 * The batch goes out in waves: first the head (first event) of every key, in bulk;
	 * then, once a key's event is confirmed, its next event, together with the next
	 * events of all other keys whose previous one was confirmed. A failing event never
	 * lets the rest of its key overtake it (they stay pending behind it, unsent), and a
	 * backlog spread over many keys needs one confirm round trip per event of the busiest
	 * key, not one per event.
	 * <p>
	 * The events of a sender that {@linkplain OutboxSender#keepsKeyOrderInFlight() keeps
	 * key order in flight} skip the waves: they are all sent at once, first (see
	 * {@link #awaitInFlight}).
	 * @return whether later events of some key were left pending, unsent, because the
	 * send timeout was used up
	 */
	private boolean deliver(List<ClaimedEvent> batch) {
		int size = batch.size();
		List<@Nullable CompletableFuture<Void>> futures = new ArrayList<>(Collections.nCopies(size, null));
		Instant deadline = this.clock.instant().plus(this.sendTimeout);
		List<ClaimedEvent> confirmed = new ArrayList<>(size);
		Map<ClaimedEvent, Throwable> failed = new LinkedHashMap<>();
		boolean[] inFlight = new boolean[size];
		List<Integer> inFlightIndexes = new ArrayList<>();
		for (int i = 0; i < size; i++) {
			OutboxSender sender = senderFor(batch.get(i).message().destination());
			if (sender != null && sender.keepsKeyOrderInFlight()) {
				inFlight[i] = true;
				inFlightIndexes.add(i);
			}
		}
		if (!inFlightIndexes.isEmpty()) {
			send(batch, inFlightIndexes, futures);
		}
		int[] previousOfKey = new int[size];
		List<List<Integer>> waves = waves(batch, inFlight, previousOfKey);
		boolean[] notConfirmed = new boolean[size];
		boolean[] leftOver = new boolean[size];
		boolean anyLeftOver = false;
		for (List<Integer> wave : waves) {
			List<Integer> toSend = new ArrayList<>(wave.size());
			for (int i : wave) {
				int previous = previousOfKey[i];
				if (previous < 0) {
					toSend.add(i);
				}
				else if (leftOver[previous] || (!notConfirmed[previous] && !this.clock.instant().isBefore(deadline))) {
					// The send timeout is used up (a send can block in the producer far
					// longer while the broker is unreachable): leave the rest of the key
					// to the next batch, unsent and without an attempt counted.
					leftOver[i] = true;
					anyLeftOver = true;
				}
				else if (notConfirmed[previous]) {
					notConfirmed[i] = true;
					failed.put(batch.get(i), new IllegalStateException("Not sent: an earlier event of its key failed"));
				}
				else {
					toSend.add(i);
				}
			}
			send(batch, toSend, futures);
			for (int i : toSend) {
				Throwable failure = await(Objects.requireNonNull(futures.get(i)), deadline);
				if (failure == null) {
					confirmed.add(batch.get(i));
				}
				else {
					notConfirmed[i] = true;
					failed.put(batch.get(i), failure);
				}
			}
		}
		if (!inFlightIndexes.isEmpty()) {
			awaitInFlight(batch, inFlightIndexes, futures, deadline, confirmed, failed);
		}
		Instant confirmedAt = this.clock.instant();
		if (!confirmed.isEmpty()) {
			markPublished(confirmed, confirmedAt);
		}
		if (!failed.isEmpty()) {
			markFailed(failed);
		}
		return anyLeftOver;
	}

	/**
	 * Await the events sent all at once, in batch order, and sort them out per key: the
	 * confirmed prefix of each key is published; its first unconfirmed event fails with
	 * its own error, and every later event of the key fails too, even if confirmed,
	 * without an attempt counted (only the first failure of a key counts, see
	 * {@link #markFailed}): it is sent again after the failed one, so that none of them
	 * is published ahead of it.
	 */
	private void awaitInFlight(List<ClaimedEvent> batch, List<Integer> indexes,
			List<@Nullable CompletableFuture<Void>> futures, Instant deadline, List<ClaimedEvent> confirmed,
			Map<ClaimedEvent, Throwable> failed) {
		Set<ClaimedEvent.OrderKey> brokenKeys = new HashSet<>();
		for (int i : indexes) {
			ClaimedEvent event = batch.get(i);
			if (brokenKeys.contains(event.orderKey())) {
				failed.put(event, new IllegalStateException("Not published: an earlier event of its key failed"));
				continue;
			}
			Throwable failure = await(Objects.requireNonNull(futures.get(i)), deadline);
			if (failure == null) {
				confirmed.add(event);
			}
			else {
				brokenKeys.add(event.orderKey());
				failed.put(event, failure);
			}
		}
	}

	/**
	 * Group a batch by the position of each event within its key (per destination): wave
	 * 0 holds the first event of every key, wave 1 the second ones, and so on, each in
	 * batch order; events marked {@code skip} are left out. {@code previousOfKey} gets,
	 * per event, the index of the event before it of the same destination and key
	 * ({@code -1} for a first one).
	 */
	private static List<List<Integer>> waves(List<ClaimedEvent> batch, boolean[] skip, int[] previousOfKey) {
		List<List<Integer>> waves = new ArrayList<>();
		int[] rank = new int[batch.size()];
		Map<ClaimedEvent.OrderKey, Integer> lastOfKey = new HashMap<>();
		for (int i = 0; i < batch.size(); i++) {
			if (skip[i]) {
				continue;
			}
			Integer previous = lastOfKey.put(batch.get(i).orderKey(), i);
			previousOfKey[i] = (previous != null) ? previous : -1;
			rank[i] = (previous != null) ? rank[previous] + 1 : 0;
			if (rank[i] == waves.size()) {
				waves.add(new ArrayList<>());
			}
			waves.get(rank[i]).add(i);
		}
		return waves;
	}

	/**
	 * Start sending the given events of a batch, in bulk per sender, and put their
	 * futures at their indexes.
	 */
	private void send(List<ClaimedEvent> batch, List<Integer> indexes,
			List<@Nullable CompletableFuture<Void>> futures) {
		Map<OutboxSender, List<Integer>> bySender = new LinkedHashMap<>();
		for (int i : indexes) {
			OutboxSender sender = senderFor(batch.get(i).message().destination());
			if (sender == null) {
				futures.set(i, CompletableFuture.failedFuture(noSender(batch.get(i).message())));
			}
			else {
				bySender.computeIfAbsent(sender, (s) -> new ArrayList<>()).add(i);
			}
		}
		bySender.forEach((sender, senderIndexes) -> {
			List<OutboxMessage> messages = senderIndexes.stream().map((i) -> batch.get(i).message()).toList();
			List<CompletableFuture<Void>> sent;
			try {
				sent = sender.sendAll(messages);
			}
			// an Error propagates: the relay's failure, not the events' (see loop)
			catch (RuntimeException ex) {
				sent = messages.stream().map((m) -> CompletableFuture.<Void>failedFuture(ex)).toList();
			}
			for (int j = 0; j < senderIndexes.size(); j++) {
				futures.set(senderIndexes.get(j), sent.get(j));
			}
		});
	}

	/**
	 * Wait for a confirm until the deadline.
	 * @return {@code null} if confirmed, else the failure
	 */
	private @Nullable Throwable await(CompletableFuture<Void> future, Instant deadline) {
		try {
			long remaining = Math.max(0, Duration.between(this.clock.instant(), deadline).toMillis());
			future.get(remaining, TimeUnit.MILLISECONDS);
			return null;
		}
		catch (TimeoutException ex) {
			future.cancel(false);
			return new TimeoutException(
					"No broker confirm within the send timeout of " + this.sendTimeout.toMillis() + " ms");
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof Error error) {
				// the relay's failure, not the event's: no attempt counted (see loop)
				throw error;
			}
			return (ex.getCause() != null) ? ex.getCause() : ex;
		}
		catch (CancellationException ex) {
			return ex;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return ex;
		}
	}

	private IllegalStateException noSender(OutboxMessage message) {
		return new IllegalStateException("No outbox sender for destination '" + message.destination()
				+ "': route it with outbox.relay.destinations or set outbox.relay.broker (senders: "
				+ this.senders.keySet() + ")");
	}

	private @Nullable OutboxSender senderFor(String destination) {
		String broker = this.destinations.getOrDefault(destination, this.defaultBroker);
		return (broker != null) ? this.senders.get(broker) : null;
	}

	private void markPublished(List<ClaimedEvent> confirmed, Instant now) {
		List<UUID> ids = confirmed.stream().map((event) -> event.message().id()).toList();
		boolean delete = this.retention.isZero();
		try {
			this.storeRetry.execute(() -> this.store.markPublished(ids, delete));
		}
		catch (RetryException ex) {
			logger.error(
					"Outbox relay " + this.instanceId + " could not mark " + ids.size()
							+ " confirmed events as published; they will be sent again (duplicates)",
					ex.getLastException());
			return;
		}
		notifyListener(() -> this.listener.onPublished(confirmed.stream().map(ClaimedEvent::message).toList(), now));
	}

	private void markFailed(Map<ClaimedEvent, Throwable> failed) {
		// Only the first failure of a key (per destination) counts: the later events of
		// that key in the batch were never sent (each waits for the one before it), or
		// were sent in flight behind it and are sent again after it, without a penalty.
		// A collateral failure (NotAttemptedException: another destination's error)
		// counts no attempt and never parks either: the event waits for the first retry
		// delay only.
		Set<ClaimedEvent.OrderKey> failedKeys = new HashSet<>();
		List<RelayStore.Failure> failures = new ArrayList<>();
		Map<ClaimedEvent, RelayStore.Failure> outcomes = new HashMap<>();
		failed.forEach((event, cause) -> {
			if (!failedKeys.add(event.orderKey())) {
				return;
			}
			if (isNotAttempted(cause)) {
				failures.add(new RelayStore.Failure(event.message().id(), event.attempts(), ErrorText.describe(cause),
						this.backoff.delay(1, this.random), false));
			}
			else {
				int attempts = event.attempts() + 1;
				boolean parked = attempts >= this.maxAttempts;
				String error = ErrorText.describe(cause);
				RelayStore.Failure failure = new RelayStore.Failure(event.message().id(), attempts, error,
						this.backoff.delay(attempts, this.random), parked);
				failures.add(failure);
				outcomes.put(event, failure);
			}
		});
		try {
			this.storeRetry.execute(() -> {
				this.store.markFailed(failures);
				return null;
			});
		}
		catch (RetryException ex) {
			if (!recordWithoutErrorTexts(failures, ex.getLastException())) {
				return;
			}
		}
		warnOfRetries(outcomes);
		outcomes.forEach((event, failure) -> {
			OutboxMessage message = event.message();
			if (failure.parked()) {
				logger.warn("Outbox event " + message.id() + " (type " + message.eventType() + ", destination "
						+ message.destination() + ", key " + message.key() + ") parked after " + failure.attempts()
						+ " failed attempts; later events of its key wait behind it. Last error: " + failure.error());
				notifyListener(() -> this.listener.onParked(message, failure.attempts(), failure.error()));
			}
			else {
				if (logger.isDebugEnabled()) {
					logger.debug("Outbox event " + message.id() + " failed (attempt " + failure.attempts()
							+ "), retrying in " + failure.delay().toMillis() + " ms: " + failure.error());
				}
				notifyListener(() -> this.listener.onFailed(message, failure.attempts(), failure.error()));
			}
		});
	}

	/**
	 * Record failures whose update failed again with a generic error text: a text the
	 * database rejects must not keep an event from counting attempts and being parked.
	 * @return whether they were recorded
	 */
	private boolean recordWithoutErrorTexts(List<RelayStore.Failure> failures, Throwable cause) {
		String error = ErrorText.notRecorded(cause);
		List<RelayStore.Failure> generic = failures.stream()
			.map((f) -> new RelayStore.Failure(f.id(), f.attempts(), error, f.delay(), f.parked()))
			.toList();
		try {
			this.store.markFailed(generic);
			logger.error("Outbox relay " + this.instanceId + " could not record the error texts of " + failures.size()
					+ " failed deliveries; recorded them as '" + error + "'", cause);
			return true;
		}
		catch (RuntimeException ex) {
			ex.addSuppressed(cause);
			logger.error("Outbox relay " + this.instanceId + " could not record " + failures.size()
					+ " failed deliveries; they will be retried without an attempt counted", ex);
			return false;
		}
	}

	private void warnOfRetries(Map<ClaimedEvent, RelayStore.Failure> outcomes) {
		int retried = 0;
		String example = null;
		for (Map.Entry<ClaimedEvent, RelayStore.Failure> outcome : outcomes.entrySet()) {
			if (!outcome.getValue().parked()) {
				retried++;
				if (example == null) {
					OutboxMessage message = outcome.getKey().message();
					example = "event " + message.id() + " to destination '" + message.destination() + "': "
							+ outcome.getValue().error();
				}
			}
		}
		if (example != null) {
			String warning = this.failureWarnings.failed(retried, example);
			if (warning != null) {
				logger.warn("Outbox relay " + this.instanceId + ": " + warning);
			}
		}
	}

	private void notifyListener(Runnable call) {
		try {
			call.run();
		}
		catch (RuntimeException ex) {
			logger.warn("Outbox relay listener failed", ex);
		}
	}

	/**
	 * Whether a sender failed the event for another destination's error, not its own.
	 */
	private static boolean isNotAttempted(Throwable cause) {
		return cause instanceof NotAttemptedException
				|| (cause instanceof CompletionException && cause.getCause() instanceof NotAttemptedException);
	}

	private void heartbeat() {
		// a failure escaping a scheduled task would cancel every later heartbeat
		try {
			Set<Integer> before = sendablePartitions();
			this.leases.heartbeat();
			// Partitions taken over, or leases renewed after they ran out (heartbeats
			// failed while the database was away): their pending events were skipped and
			// nothing else may wake the relay before the next poll.
			if (!before.containsAll(sendablePartitions())) {
				wakeUp();
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

	private void purge() {
		try {
			int deleted;
			int rounds = 0;
			do {
				deleted = this.store.purge(this.retention, this.purgeBatchSize);
			}
			while (deleted >= this.purgeBatchSize && ++rounds < 1000 && !Thread.currentThread().isInterrupted());
		}
		catch (RuntimeException ex) {
			logger.warn("Outbox relay " + this.instanceId + " failed to purge published events: " + ex);
		}
		catch (Throwable ex) {
			logger.error("Outbox relay " + this.instanceId + " failed to purge published events", ex);
		}
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
	 * Delete published rows older than the retention now, in batches (the relay also does
	 * this every purge interval).
	 */
	void purgeNow() {
		purge();
	}

	private static void sleepQuietly(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static String defaultInstanceId() {
		String host;
		try {
			host = InetAddress.getLocalHost().getHostName();
		}
		catch (Exception ex) {
			host = "unknown";
		}
		return host + "-" + UUID.randomUUID();
	}

	private static int requirePositive(int value, String name) {
		if (value < 1) {
			throw new IllegalArgumentException("The relay " + name + " must be at least 1, was " + value);
		}
		return value;
	}

	private static Duration requirePositive(Duration value, String name) {
		if (value.isNegative() || value.isZero()) {
			throw new IllegalArgumentException("The relay " + name + " must be positive, was " + value);
		}
		return value;
	}

	/**
	 * Builder of {@link OutboxRelay}; every setting has a default.
	 */
	public static final class Builder {

		private final DataSource dataSource;

		private final OutboxTables tables;

		private final List<OutboxSender> senders = new ArrayList<>();

		private @Nullable String defaultBroker;

		private final Map<String, String> destinations = new LinkedHashMap<>();

		private int partitions = Partitions.DEFAULT_COUNT;

		private int batchSize = DEFAULT_BATCH_SIZE;

		private long batchMaxBytes = DEFAULT_BATCH_MAX_BYTES;

		private Duration pollInterval = DEFAULT_POLL_INTERVAL;

		private Duration sendTimeout = DEFAULT_SEND_TIMEOUT;

		private int maxAttempts = DEFAULT_MAX_ATTEMPTS;

		private Duration backoffInitialInterval = DEFAULT_BACKOFF_INITIAL_INTERVAL;

		private double backoffMultiplier = DEFAULT_BACKOFF_MULTIPLIER;

		private Duration backoffMaxInterval = DEFAULT_BACKOFF_MAX_INTERVAL;

		private double backoffJitter = DEFAULT_BACKOFF_JITTER;

		private Duration leaseDuration = DEFAULT_LEASE_DURATION;

		private Duration retention = DEFAULT_RETENTION;

		private Duration purgeInterval = DEFAULT_PURGE_INTERVAL;

		private int purgeBatchSize = DEFAULT_PURGE_BATCH_SIZE;

		private @Nullable String instanceId;

		private @Nullable String notifyChannel;

		private Clock clock = Clock.systemUTC();

		private DoubleSupplier random = () -> java.util.concurrent.ThreadLocalRandom.current().nextDouble();

		private OutboxRelayListener listener = new OutboxRelayListener() {
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
		 * The fallback polling interval when nothing wakes the relay.
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
		 * How long published rows are kept; zero deletes them when confirmed.
		 * @param retention the retention (default zero)
		 * @return this builder
		 */
		public Builder retention(Duration retention) {
			this.retention = retention;
			return this;
		}

		/**
		 * How often published rows past their retention are purged, and how many per
		 * statement.
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
		 * {@code null} to rely on in-JVM wake-ups and polling (default).
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

		Builder random(DoubleSupplier random) {
			this.random = random;
			return this;
		}

		/**
		 * Build the relay (not started).
		 * @return the relay
		 * @throws IllegalArgumentException if a setting is invalid
		 */
		public OutboxRelay build() {
			return new OutboxRelay(this);
		}

	}

}
