package dev.outbox.autoconfigure.actuate;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link OutboxHealthStatusEnvironmentPostProcessor}: the aggregate health
 * knows {@code DEGRADED} by default, and an application's own order wins.
 */
class OutboxHealthStatusEnvironmentPostProcessorTests {

	private final StandardEnvironment environment = new StandardEnvironment();

	@Test
	void ranksDegradedBetweenOutOfServiceAndUpByDefault() {
		postProcess();
		assertThat(order()).containsExactly("DOWN", "OUT_OF_SERVICE", "DEGRADED", "UP", "UNKNOWN");
	}

	@Test
	void leavesTheApplicationsOwnOrderAlone() {
		this.environment.getPropertySources()
			.addFirst(new MapPropertySource("application",
					Map.of("management.endpoint.health.status.order", "FATAL, DOWN, UP")));
		postProcess();
		assertThat(order()).containsExactly("FATAL", "DOWN", "UP");
	}

	@Test
	void leavesTheApplicationsIndexedOrderAlone() {
		this.environment.getPropertySources()
			.addFirst(new MapPropertySource("application", Map.of("management.endpoint.health.status.order[0]", "DOWN",
					"management.endpoint.health.status.order[1]", "UP")));
		postProcess();
		assertThat(order()).containsExactly("DOWN", "UP");
	}

	private void postProcess() {
		new OutboxHealthStatusEnvironmentPostProcessor().postProcessEnvironment(this.environment,
				new SpringApplication());
	}

	private List<String> order() {
		return Binder.get(this.environment)
			.bind("management.endpoint.health.status.order", Bindable.listOf(String.class))
			.orElse(List.of());
	}

}
