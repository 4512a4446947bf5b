package dev.outbox.relay;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;

import dev.outbox.spi.NotAttemptedException;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxRelayListener;
import dev.outbox.spi.OutboxRelayListener.ExpiredEvent;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.core.retry.RetryException;
import org.springframework.core.retry.RetryPolicy;
import org.springframework.core.retry.RetryTemplate;

/**
 * The recording stage of the relay pipeline: what a delivery outcome means for the stored
 * events. Confirmed events are marked published (or deleted); a failed event counts an
 * attempt and is retried after a backoff, or parked after the maximum number of attempts;
 * a collateral failure ({@link NotAttemptedException}) counts no attempt and never parks.
 * Store statements are retried a few times while the database is away. Failures are
 * reported to the log (throttled by {@link FailureWarnings}) and to the
 * {@link OutboxRelayListener}.
 */
final class OutcomeRecorder {

	private static final Log logger = LogFactory.getLog(OutboxRelay.class);

	private static final Duration FAILURE_WARNING_INTERVAL = Duration.ofSeconds(30);

	private final RelayStore store;

	private final int maxAttempts;

	private final Backoff backoff;

	private final boolean deletePublished;

	private final String instanceId;

	private final DoubleSupplier random;

	private final OutboxRelayListener listener;

	/** Held while the listener is called: one call at a time. */
	private final Object listenerMonitor = new Object();

	private final FailureWarnings failureWarnings;

	private final RetryTemplate storeRetry;

	/**
	 * Runs the recording of confirmed events in the background, one batch at a time; its
	 * thread ends when idle.
	 */
	private final ThreadPoolExecutor recordingExecutor;

	/**
	 * The confirmed events being marked published in the background, if any: at most one
	 * batch. Written under the relay's batch lock.
	 */
	private volatile @Nullable Recording inFlight;

	/**
	 * The events being marked in the background that the pass in flight's fetch left out,
	 * if any. Used under the relay's batch lock.
	 */
	private @Nullable Recording leftOut;

	/**
	 * The {@link System#nanoTime()} by which the earliest retry recorded since the last
	 * {@link #takeScheduledRetry()} is due, or {@link RelayPass#NOTHING_DUE}.
	 */
	private final AtomicLong scheduledRetry = new AtomicLong(RelayPass.NOTHING_DUE);

	OutcomeRecorder(RelayStore store, RelaySettings settings, Clock clock, DoubleSupplier random,
			OutboxRelayListener listener, RetryTemplate storeRetry) {
		this.store = store;
		this.maxAttempts = settings.maxAttempts;
		this.backoff = settings.backoff;
		this.deletePublished = settings.retention.isZero();
		this.instanceId = settings.instanceId;
		this.random = random;
		this.listener = listener;
		this.failureWarnings = new FailureWarnings(clock, FAILURE_WARNING_INTERVAL);
		this.storeRetry = storeRetry;
		this.recordingExecutor = new ThreadPoolExecutor(0, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
				(runnable) -> {
					Thread thread = new Thread(runnable, "outbox-relay-record");
					thread.setDaemon(true);
					return thread;
				});
	}

	/**
	 * The retry of store statements the relay uses: up to 5 retries within about 4
	 * seconds.
	 * @return a retry template
	 */
	static RetryTemplate storeRetry() {
		return new RetryTemplate(RetryPolicy.builder()
			.maxRetries(5)
			.delay(Duration.ofMillis(100))
			.multiplier(2.0)
			.maxDelay(Duration.ofSeconds(2))
			.jitter(Duration.ofMillis(50))
			.build());
	}

	/**
	 * Record what became of a batch. Held-back and left-over events are left pending as
	 * they are.
	 * @param outcome the outcome
	 */
	void record(DeliveryOutcome outcome) {
		awaitRecorded();
		boolean leftOutMarked = leftOutMarked();
		if (!outcome.confirmed().isEmpty()) {
			if (leftOutMarked) {
				markPublished(outcome);
			}
			else {
				notMarkedAfterFailure(outcome.confirmed().size());
			}
		}
		if (!outcome.failed().isEmpty()) {
			markFailed(outcome.failed());
		}
	}

	/**
	 * Record what became of a batch, marking its confirmed events published in the
	 * background: the failures are recorded before this returns (so the next fetch sees
	 * them and keeps their keys blocked), the confirmed events once the marking of the
	 * batch before has ended. Until they are marked, {@link #unrecorded()} names them, so
	 * that the next fetch leaves them out. If the marking of the events the fetch of this
	 * batch left out failed, the confirmed events of this batch are not marked either:
	 * both are sent again, in their order (duplicates, never a reordering).
	 * @param outcome the outcome
	 */
	void recordConcurrently(DeliveryOutcome outcome) {
		if (!outcome.failed().isEmpty()) {
			markFailed(outcome.failed());
		}
		awaitRecorded();
		boolean leftOutMarked = leftOutMarked();
		if (outcome.confirmed().isEmpty()) {
			return;
		}
		if (!leftOutMarked) {
			notMarkedAfterFailure(outcome.confirmed().size());
			return;
		}
		Set<UUID> ids = new HashSet<>();
		outcome.confirmed().forEach((event) -> ids.add(event.message().id()));
		CompletableFuture<Boolean> marked;
		try {
			marked = CompletableFuture.supplyAsync(() -> markPublished(outcome), this.recordingExecutor);
		}
		catch (RejectedExecutionException ex) {
			markPublished(outcome);
			return;
		}
		this.inFlight = new Recording(ids, marked);
	}

	/**
	 * The confirmed events still being marked published in the background, to leave out
	 * of the fetch that follows: call right before it. Events marked once this returns
	 * are committed before the fetch starts, so it does not read them; events named here
	 * may be read.
	 * @return their ids, empty if none
	 */
	Set<UUID> unrecorded() {
		Recording recording = this.inFlight;
		if (recording == null || recording.marked().isDone()) {
			this.leftOut = null;
			return Set.of();
		}
		this.leftOut = recording;
		return recording.ids();
	}

	/**
	 * Wait until the confirmed events marked in the background, if any, are recorded (or
	 * their marking failed: they will be sent again).
	 */
	void awaitRecorded() {
		Recording recording = this.inFlight;
		if (recording != null) {
			succeeded(recording);
			this.inFlight = null;
		}
	}

	/**
	 * Whether the events the last fetch left out, if any, were marked published.
	 */
	private boolean leftOutMarked() {
		Recording recording = this.leftOut;
		this.leftOut = null;
		return recording == null || succeeded(recording);
	}

	private static boolean succeeded(Recording recording) {
		return recording.marked().handle((marked, ex) -> ex == null && Boolean.TRUE.equals(marked)).join();
	}

	private void notMarkedAfterFailure(int count) {
		logger.error("Outbox relay " + this.instanceId + " did not mark " + count
				+ " confirmed events as published because the marking of the events before them failed; they will be"
				+ " sent again after those (duplicates), in their order");
	}

	/**
	 * Tell the listener and the log about events the store marked expired.
	 * @param expired the expired events
	 */
	void recordExpired(List<ExpiredEvent> expired) {
		ExpiryReport.report(expired, this.listener, this.instanceId);
	}

	private boolean markPublished(DeliveryOutcome outcome) {
		List<ClaimedEvent> confirmed = outcome.confirmed();
		List<UUID> ids = confirmed.stream().map((event) -> event.message().id()).toList();
		try {
			this.storeRetry.execute(() -> this.store.markPublished(ids, this.deletePublished));
		}
		catch (RetryException ex) {
			logger.error(
					"Outbox relay " + this.instanceId + " could not mark " + ids.size()
							+ " confirmed events as published; they will be sent again (duplicates)",
					ex.getLastException());
			return false;
		}
		notifyListener(() -> this.listener.onPublished(confirmed.stream().map(ClaimedEvent::message).toList(),
				outcome.confirmedAt()));
		return true;
	}

	private void markFailed(List<DeliveryOutcome.FailedDelivery> failed) {
		// A collateral failure (NotAttemptedException: another destination's error)
		// counts no attempt and never parks: the event waits for the first retry delay.
		List<RelayStore.Failure> failures = new ArrayList<>();
		Map<ClaimedEvent, RelayStore.Failure> outcomes = new LinkedHashMap<>();
		for (DeliveryOutcome.FailedDelivery delivery : failed) {
			ClaimedEvent event = delivery.event();
			Throwable cause = delivery.cause();
			if (isNotAttempted(cause)) {
				failures.add(new RelayStore.Failure(event.message().id(), event.attempts(), ErrorText.describe(cause),
						this.backoff.delay(1, this.random), false));
			}
			else {
				int attempts = event.attempts() + 1;
				boolean parked = attempts >= this.maxAttempts;
				RelayStore.Failure failure = new RelayStore.Failure(event.message().id(), attempts,
						ErrorText.describe(cause), this.backoff.delay(attempts, this.random), parked);
				failures.add(failure);
				outcomes.put(event, failure);
			}
		}
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
		scheduleRetry(failures);
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
	 * Remember when the earliest of the recorded retries is due. The database set each
	 * due time from its clock when it ran the update, before this reading of the
	 * monotonic clock: the event is due by then plus its delay.
	 */
	private void scheduleRetry(List<RelayStore.Failure> failures) {
		long recordedAt = System.nanoTime();
		for (RelayStore.Failure failure : failures) {
			if (!failure.parked()) {
				this.scheduledRetry.accumulateAndGet(recordedAt + failure.delay().toNanos(), RelayPass::earlier);
			}
		}
	}

	/**
	 * When the earliest retry recorded since the last call is due, and forget it: the
	 * relay loop waits no longer than that, so a retry is not held up by a long poll
	 * interval.
	 * @return a {@link System#nanoTime()} reading, or {@link RelayPass#NOTHING_DUE}
	 */
	long takeScheduledRetry() {
		return this.scheduledRetry.getAndSet(RelayPass.NOTHING_DUE);
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
		@Nullable String example = null;
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

	/**
	 * Call the listener, one call at a time (confirmed events are reported from the
	 * background recording, failures from the relay thread).
	 */
	private void notifyListener(Runnable call) {
		synchronized (this.listenerMonitor) {
			try {
				call.run();
			}
			catch (RuntimeException ex) {
				logger.warn("Outbox relay listener failed", ex);
			}
		}
	}

	/**
	 * Confirmed events being marked published in the background.
	 *
	 * @param ids their ids
	 * @param marked completes with whether they were marked
	 */
	private record Recording(Set<UUID> ids, CompletableFuture<Boolean> marked) {
	}

	/**
	 * Whether a sender failed the event for another destination's error, not its own.
	 */
	static boolean isNotAttempted(Throwable cause) {
		return cause instanceof NotAttemptedException
				|| (cause instanceof CompletionException && cause.getCause() instanceof NotAttemptedException);
	}

}
