package dev.outbox.autoconfigure.metrics;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the outbox metrics ({@code outbox.metrics.*}).
 */
@ConfigurationProperties("outbox.metrics")
public class OutboxMetricsProperties {

	/**
	 * How long the gauges reuse one reading of the outbox table (pending, failing and
	 * parked counts and the oldest pending age come from one query); scrapes in between
	 * run no SQL.
	 */
	private Duration refreshInterval = Duration.ofSeconds(10);

	public Duration getRefreshInterval() {
		return this.refreshInterval;
	}

	public void setRefreshInterval(Duration refreshInterval) {
		this.refreshInterval = refreshInterval;
	}

}
