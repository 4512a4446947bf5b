package dev.outbox.relay;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * Decides when the relay reports failed deliveries at WARN: at once after a quiet period,
 * then at most once per interval with the number of failures since the last report, so
 * that an outage is visible in the log without a line per event and batch.
 */
final class FailureWarnings {

	private final Clock clock;

	private final Duration interval;

	private @Nullable Instant lastWarning;

	private long unreported;

	FailureWarnings(Clock clock, Duration interval) {
		this.clock = clock;
		this.interval = interval;
	}

	/**
	 * Record failed deliveries of one batch.
	 * @param failures how many events failed and will be retried
	 * @param example a description of one of them
	 * @return the warning to log now, or {@code null} to stay quiet
	 */
	synchronized @Nullable String failed(int failures, String example) {
		this.unreported += failures;
		Instant now = this.clock.instant();
		if (this.lastWarning != null && now.isBefore(this.lastWarning.plus(this.interval))) {
			return null;
		}
		String warning = this.unreported + " outbox event(s) failed to send"
				+ ((this.lastWarning != null) ? " since the last report" : "")
				+ " and will be retried with backoff; for example " + example
				+ " (each failure is logged at DEBUG; the outbox.events.failed metric counts them)";
		this.lastWarning = now;
		this.unreported = 0;
		return warning;
	}

}
