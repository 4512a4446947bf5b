package dev.outbox.relay;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with jitter between delivery attempts of one event. Its checks are
 * the only copy of the backoff rules: they name the setting under {@code outbox.relay}.
 *
 * @param initialInterval delay after the first failure
 * @param multiplier factor applied per further failure
 * @param maxInterval upper bound of the delay
 * @param jitter fraction in {@code [0, 1]} by which a delay is randomly shortened
 */
record Backoff(Duration initialInterval, double multiplier, Duration maxInterval, double jitter) {

	Backoff {
		if (initialInterval.isNegative()) {
			throw new InvalidRelaySettingException("backoff.initial-interval", initialInterval,
					"It must not be negative.");
		}
		if (multiplier < 1.0) {
			throw new InvalidRelaySettingException("backoff.multiplier", multiplier,
					"It must be at least 1 (1: a constant delay).");
		}
		if (maxInterval.compareTo(initialInterval) < 0) {
			throw new InvalidRelaySettingException("backoff.max-interval", maxInterval,
					"It must not be less than backoff.initial-interval (" + initialInterval + ").");
		}
		if (jitter < 0.0 || jitter > 1.0) {
			throw new InvalidRelaySettingException("backoff.jitter", jitter, "It must be between 0 (no jitter) and 1.");
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
