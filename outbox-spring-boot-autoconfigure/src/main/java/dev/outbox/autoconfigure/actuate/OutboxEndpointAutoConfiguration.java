package dev.outbox.autoconfigure.actuate;

import dev.outbox.admin.OutboxAdmin;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code outbox} actuator endpoint; like every endpoint, it is
 * only created when exposed ({@code management.endpoints.web.exposure.include=outbox}).
 * Its access is read-only by default; replay and discard need
 * {@code management.endpoint.outbox.access=unrestricted}.
 */
@AutoConfiguration(afterName = "dev.outbox.autoconfigure.admin.OutboxAdminAutoConfiguration")
@ConditionalOnClass({ Endpoint.class, ConditionalOnAvailableEndpoint.class, OutboxAdmin.class })
@ConditionalOnBean(OutboxAdmin.class)
@ConditionalOnAvailableEndpoint(OutboxEndpoint.class)
@EnableConfigurationProperties(OutboxEndpointProperties.class)
public final class OutboxEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	OutboxEndpoint outboxEndpoint(OutboxAdmin admin, OutboxEndpointProperties properties) {
		if (properties.getLimit() < 1) {
			throw new InvalidConfigurationPropertyValueException("management.endpoint.outbox.limit",
					properties.getLimit(), "It must be at least 1, for example 100.");
		}
		return new OutboxEndpoint(admin, properties.getShowPayload(), properties.getRoles(), properties.getLimit());
	}

}
