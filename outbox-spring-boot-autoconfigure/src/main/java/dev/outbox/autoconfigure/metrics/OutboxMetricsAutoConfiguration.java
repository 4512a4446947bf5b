package dev.outbox.autoconfigure.metrics;

import java.time.Clock;
import java.time.Duration;

import dev.outbox.admin.OutboxAdmin;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the outbox's Micrometer metrics: relay counters and latency (the
 * {@link OutboxMetrics} bean is an {@link dev.outbox.spi.OutboxRelayListener
 * OutboxRelayListener} the relay is built with) and gauges of the outbox table. The
 * idempotent consumer's counters are registered by its own auto-configuration.
 */
@AutoConfiguration(afterName = { "dev.outbox.autoconfigure.admin.OutboxAdminAutoConfiguration",
		"org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
		"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
		"org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration" })
@ConditionalOnClass({ MeterRegistry.class, OutboxAdmin.class })
@ConditionalOnBean({ MeterRegistry.class, OutboxAdmin.class })
@EnableConfigurationProperties(OutboxMetricsProperties.class)
public final class OutboxMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	OutboxMetrics outboxMetrics(MeterRegistry registry, OutboxAdmin admin, OutboxMetricsProperties properties,
			ObjectProvider<Clock> clock) {
		Duration interval = properties.getRefreshInterval();
		if (interval == null || interval.isNegative()) {
			throw new InvalidConfigurationPropertyValueException("outbox.metrics.refresh-interval", interval,
					"It must be zero (read on every scrape) or positive, for example 10s.");
		}
		return new OutboxMetrics(registry,
				new CachedOutboxStats(admin::stats, interval, clock.getIfUnique(Clock::systemUTC)));
	}

}
