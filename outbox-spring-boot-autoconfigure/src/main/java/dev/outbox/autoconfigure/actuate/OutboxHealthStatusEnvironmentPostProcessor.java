package dev.outbox.autoconfigure.actuate;

import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.ClassUtils;

/**
 * Ranks the outbox's {@code DEGRADED} health status in the aggregate, so that
 * {@code /actuator/health} reports it: Spring Boot's aggregator ignores a status missing
 * from {@code management.endpoint.health.status.order}, and the default order knows only
 * {@code DOWN, OUT_OF_SERVICE, UP, UNKNOWN}.
 * <p>
 * The default order gets {@code DEGRADED} between {@code OUT_OF_SERVICE} and {@code UP}.
 * It is added as the property source of lowest precedence (below the application's
 * configuration, above {@code SpringApplication}'s default properties), so an order the
 * application sets wins. The HTTP status stays Boot's default for a custom status, 200:
 * every instance reads the same outbox table, so a 503 would take all of them out of a
 * load balancer at once for one parked event.
 */
class OutboxHealthStatusEnvironmentPostProcessor implements EnvironmentPostProcessor {

	static final String PROPERTY_SOURCE = "outboxHealthStatusDefaults";

	static final String STATUS_ORDER = "management.endpoint.health.status.order";

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		if (!ClassUtils.isPresent("org.springframework.boot.health.contributor.Status", application.getClassLoader())) {
			return;
		}
		if (environment.getPropertySources().contains(PROPERTY_SOURCE)) {
			return;
		}
		environment.getPropertySources()
			.addLast(new MapPropertySource(PROPERTY_SOURCE, Map.of(STATUS_ORDER, defaultOrder())));
	}

	static String defaultOrder() {
		return "DOWN, OUT_OF_SERVICE, " + OutboxHealthIndicator.DEGRADED.getCode() + ", UP, UNKNOWN";
	}

}
