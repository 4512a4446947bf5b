package dev.outbox.relay;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with jitter between delivery attempts of one event.
 *
 * @param initialInterval delay after the first failure
 * @param multiplier factor applied per further failure
 * @param maxInterval upper bound of the delay
 * @param jitter fraction in {@code [0, 1]} by which a delay is randomly shortened
 */
record Backoff(Duration initialInterval, double multiplier, Duration maxInterval, double jitter) {

	Backoff {
		if (initialInterval.isNegative()) {
			throw new IllegalArgumentException("Backoff initial interval must not be negative");
		}
		if (multiplier < 1.0) {
			throw new IllegalArgumentException("Backoff multiplier must be at least 1, was " + multiplier);
		}
		if (maxInterval.compareTo(initialInterval) < 0) {
			throw new IllegalArgumentException("Backoff max interval must not be less than the initial interval");
		}
		if (jitter < 0.0 || jitter > 1.0) {
			throw new IllegalArgumentException("Backoff jitter must be between 0 and 1, was " + jitter);
		}
	}

	/**
	 * The delay before the next attempt.
	 * @param failedAttempts the failed attempts so far, at least 1
	 * @param random a source of numbers in {@code [0, 1)}
	 * @return the delay
	 */
	Duration delay(int failedAttempts, DoubleSupplier random) {
		double base = this.initialInterval.toMillis() * Math.pow(this.multiplier, Math.max(0, failedAttempts - 1));
		double capped = Math.min(base, this.maxInterval.toMillis());
		double jittered = capped * (1.0 - this.jitter * random.getAsDouble());
		return Duration.ofMillis(Math.round(jittered));
	}

}
