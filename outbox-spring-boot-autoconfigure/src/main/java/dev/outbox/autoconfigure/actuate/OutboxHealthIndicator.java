package dev.outbox.autoconfigure.actuate;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import dev.outbox.admin.OutboxAdmin;
import dev.outbox.admin.OutboxStats;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Health of the outbox: {@code UP} while events flow; {@link #DEGRADED} when the oldest
 * due pending event waits longer than allowed or more events are parked than allowed;
 * {@code DOWN} when the outbox table cannot be read, or when this application's relay
 * gave up (see {@link dev.outbox.relay.OutboxRelay#failure()}). Details: pending, failing
 * and parked counts, the oldest pending age, the reasons when degraded, and the relay's
 * failure when it gave up.
 */
final class OutboxHealthIndicator extends AbstractHealthIndicator {

	/** Events are stuck but the application works: map it to an HTTP code if wanted. */
	static final Status DEGRADED = new Status("DEGRADED", "Outbox events are parked or waiting too long");

	private final OutboxAdmin admin;

	private final Duration maxPendingAge;

	private final long maxParked;

	private final Supplier<@Nullable Throwable> relayFailure;

	/**
	 * Create an indicator.
	 * @param admin reads the outbox table
	 * @param maxPendingAge the age past which the oldest pending event degrades health
	 * @param maxParked the number of parked events past which health degrades
	 * @param relayFailure why this application's relay gave up, {@code null} if it did
	 * not (or there is none)
	 */
	OutboxHealthIndicator(OutboxAdmin admin, Duration maxPendingAge, long maxParked,
			Supplier<@Nullable Throwable> relayFailure) {
		super("Outbox health check failed");
		this.admin = admin;
		this.maxPendingAge = maxPendingAge;
		this.maxParked = maxParked;
		this.relayFailure = relayFailure;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		Throwable failure = this.relayFailure.get();
		if (failure != null) {
			// the relay released its partitions: other instances relay them, this one no
			// longer does until restarted
			builder.down()
				.withDetail("relay", "gave up after " + failure.getClass().getName()
						+ "; its partitions were released for other instances; restart the application");
			builder.withException(failure);
		}
		OutboxStats stats = this.admin.stats();
		Duration age = stats.oldestPendingAgeOrZero();
		List<String> reasons = new ArrayList<>();
		if (age.compareTo(this.maxPendingAge) > 0) {
			reasons.add("the oldest pending event has waited " + age + ", longer than outbox.health.max-pending-age="
					+ this.maxPendingAge);
		}
		if (stats.parked() > this.maxParked) {
			reasons.add(stats.parked() + " parked event(s), more than outbox.health.max-parked=" + this.maxParked
					+ ": replay or discard them (actuator endpoint 'outbox')");
		}
		if (failure == null) {
			builder.status(reasons.isEmpty() ? Status.UP : DEGRADED);
		}
		builder.withDetail("pending", stats.pending())
			.withDetail("failing", stats.failing())
			.withDetail("parked", stats.parked())
			.withDetail("oldestPendingAge", age.toString());
		if (!reasons.isEmpty()) {
			builder.withDetail("reasons", reasons);
		}
	}

}
