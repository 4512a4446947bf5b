package dev.outbox.autoconfigure.actuate;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Thresholds of the {@code outbox} health indicator ({@code outbox.health.*}).
 */
@ConfigurationProperties("outbox.health")
public class OutboxHealthProperties {

	/**
	 * Longest time the oldest due pending event may wait before the health turns
	 * DEGRADED.
	 */
	private Duration maxPendingAge = Duration.ofMinutes(5);

	/**
	 * Most parked events tolerated before the health turns DEGRADED.
	 */
	private long maxParked = 0;

	public Duration getMaxPendingAge() {
		return this.maxPendingAge;
	}

	public void setMaxPendingAge(Duration maxPendingAge) {
		this.maxPendingAge = maxPendingAge;
	}

	public long getMaxParked() {
		return this.maxParked;
	}

	public void setMaxParked(long maxParked) {
		this.maxParked = maxParked;
	}

}
