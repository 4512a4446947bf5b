package dev.outbox.autoconfigure.actuate;

import java.time.Duration;

import dev.outbox.admin.OutboxAdmin;
import dev.outbox.relay.OutboxRelay;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code outbox} health indicator
 * ({@code management.health.outbox.enabled=false} turns it off).
 */
@AutoConfiguration(afterName = "dev.outbox.autoconfigure.admin.OutboxAdminAutoConfiguration",
		beforeName = "org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration")
@ConditionalOnClass({ HealthIndicator.class, OutboxAdmin.class })
@ConditionalOnBean(OutboxAdmin.class)
@ConditionalOnEnabledHealthIndicator("outbox")
@EnableConfigurationProperties(OutboxHealthProperties.class)
public final class OutboxHealthContributorAutoConfiguration {

	@Bean(name = "outboxHealthIndicator")
	@ConditionalOnMissingBean(name = "outboxHealthIndicator")
	OutboxHealthIndicator outboxHealthIndicator(OutboxAdmin admin, OutboxHealthProperties properties,
			ObjectProvider<OutboxRelay> relay) {
		Duration maxPendingAge = properties.getMaxPendingAge();
		if (maxPendingAge == null || maxPendingAge.isNegative() || maxPendingAge.isZero()) {
			throw new InvalidConfigurationPropertyValueException("outbox.health.max-pending-age", maxPendingAge,
					"It must be positive, for example 5m.");
		}
		if (properties.getMaxParked() < 0) {
			throw new InvalidConfigurationPropertyValueException("outbox.health.max-parked", properties.getMaxParked(),
					"It must be zero or more, for example 0.");
		}
		return new OutboxHealthIndicator(admin, maxPendingAge, properties.getMaxParked(), () -> {
			OutboxRelay available = relay.getIfAvailable();
			return (available != null) ? available.failure() : null;
		});
	}

}
