package dev.outbox.relay;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
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

	private final FailureWarnings failureWarnings;

	private final RetryTemplate storeRetry;

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
		if (!outcome.confirmed().isEmpty()) {
			markPublished(outcome);
		}
		if (!outcome.failed().isEmpty()) {
			markFailed(outcome.failed());
		}
	}

	/**
	 * Tell the listener and the log about events the store marked expired.
	 * @param expired the expired events
	 */
	void recordExpired(List<ExpiredEvent> expired) {
		ExpiryReport.report(expired, this.listener, this.instanceId);
	}

	private void markPublished(DeliveryOutcome outcome) {
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
			return;
		}
		notifyListener(() -> this.listener.onPublished(confirmed.stream().map(ClaimedEvent::message).toList(),
				outcome.confirmedAt()));
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
	static boolean isNotAttempted(Throwable cause) {
		return cause instanceof NotAttemptedException
				|| (cause instanceof CompletionException && cause.getCause() instanceof NotAttemptedException);
	}

}
