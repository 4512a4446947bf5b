package dev.outbox.autoconfigure.actuate;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.outbox.admin.OutboxAdmin;
import dev.outbox.admin.OutboxStats;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Health of the outbox: {@code UP} while events flow; {@link #DEGRADED} when the oldest
 * due pending event waits longer than allowed or more events are parked than allowed;
 * {@code DOWN} when the outbox table cannot be read. Details: pending, failing and parked
 * counts, the oldest pending age, and the reasons when degraded.
 */
final class OutboxHealthIndicator extends AbstractHealthIndicator {

	/** Events are stuck but the application works: map it to an HTTP code if wanted. */
	static final Status DEGRADED = new Status("DEGRADED", "Outbox events are parked or waiting too long");

	private final OutboxAdmin admin;

	private final Duration maxPendingAge;

	private final long maxParked;

	OutboxHealthIndicator(OutboxAdmin admin, Duration maxPendingAge, long maxParked) {
		super("Outbox health check failed");
		this.admin = admin;
		this.maxPendingAge = maxPendingAge;
		this.maxParked = maxParked;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
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
		builder.status(reasons.isEmpty() ? Status.UP : DEGRADED)
			.withDetail("pending", stats.pending())
			.withDetail("failing", stats.failing())
			.withDetail("parked", stats.parked())
			.withDetail("oldestPendingAge", age.toString());
		if (!reasons.isEmpty()) {
			builder.withDetail("reasons", reasons);
		}
	}

}
