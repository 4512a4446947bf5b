package dev.outbox.autoconfigure.actuate;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import javax.sql.DataSource;

import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;
import dev.outbox.admin.OutboxAdmin;
import dev.outbox.autoconfigure.admin.OutboxAdminAutoConfiguration;
import dev.outbox.autoconfigure.amqp.OutboxAmqpAutoConfiguration;
import dev.outbox.autoconfigure.jdbc.OutboxJdbcAutoConfiguration;
import dev.outbox.autoconfigure.relay.OutboxRelayAutoConfiguration;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;
import dev.outbox.test.TestPostgres;
import dev.outbox.test.TestRabbit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for the {@code outbox} health indicator and actuator endpoint against a real
 * PostgreSQL and RabbitMQ: an unroutable event is parked, the health degrades, the
 * endpoint lists it, and after the routing is fixed a replay through the endpoint
 * delivers it.
 */
class OutboxActuatorAutoConfigurationIntegrationTests {

	@RegisterExtension
	static final TestPostgres.SchemaPerClass schema = new TestPostgres.SchemaPerClass();

	private final TestPostgres.Database database = schema.database();

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
				DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
				RabbitAutoConfiguration.class, OutboxJdbcAutoConfiguration.class, OutboxAmqpAutoConfiguration.class,
				OutboxRelayAutoConfiguration.class, OutboxAdminAutoConfiguration.class,
				OutboxHealthContributorAutoConfiguration.class, OutboxEndpointAutoConfiguration.class))
		.withPropertyValues(database.propertyValues())
		.withPropertyValues(TestRabbit.broker().propertyValues())
		.withPropertyValues("outbox.relay.max-attempts=1", "outbox.relay.poll-interval=100ms",
				"management.endpoints.web.exposure.include=outbox");

	@AfterEach
	void deleteEvents() {
		try (var dataSource = database.dataSource()) {
			new JdbcTemplate(dataSource).update("delete from " + database.schema() + ".outbox_event");
		}
		catch (RuntimeException ex) {
			// the table does not exist when the test's context failed before creating it
		}
	}

	@Test
	void healthDegradesWithAParkedEventAndRecoversWhenTheEndpointReplaysIt() {
		this.runner.run((context) -> {
			assertThat(context).hasNotFailed().hasBean("outboxHealthIndicator").hasSingleBean(OutboxEndpoint.class);
			HealthIndicator health = context.getBean("outboxHealthIndicator", HealthIndicator.class);
			OutboxEndpoint endpoint = context.getBean(OutboxEndpoint.class);
			assertThat(health.health().getStatus()).isEqualTo(Status.UP);
			String exchange = "actuator-" + UUID.randomUUID();
			AmqpAdmin amqp = context.getBean(AmqpAdmin.class);
			amqp.declareExchange(new DirectExchange(exchange, false, true));
			UUID id = publish(context, OutboxEvent.of(exchange, "o-1", "placed"));

			await().atMost(Duration.ofSeconds(20))
				.untilAsserted(() -> assertThat(health.health().getStatus()).isEqualTo(OutboxHealthIndicator.DEGRADED));
			Health degraded = health.health();
			assertThat(degraded.getDetails()).containsEntry("parked", 1L).containsEntry("pending", 0L);
			assertThat(degraded.getDetails().get("reasons").toString()).contains("outbox.health.max-parked");
			OutboxEndpoint.OutboxDescriptor listing = endpoint.events(SecurityContext.NONE);
			assertThat(listing.parked()).isOne();
			assertThat(listing.expired()).isZero();
			assertThat(listing.events()).singleElement().satisfies((event) -> {
				assertThat(event.id()).isEqualTo(id);
				assertThat(event.state()).isEqualTo("PARKED");
				assertThat(event.destination()).isEqualTo(exchange);
				assertThat(event.attempts()).isOne();
				assertThat(event.lastError()).contains("unroutable");
				assertThat(event.payload()).isNull();
			});

			Queue queue = new Queue(exchange, false, false, true);
			amqp.declareQueue(queue);
			amqp.declareBinding(BindingBuilder.bind(queue).to(new DirectExchange(exchange)).with("String"));
			assertThat(endpoint.replay(id.toString()).replayed()).isOne();

			Message received = context.getBean(RabbitTemplate.class).receive(exchange, 20_000);
			assertThat(received).isNotNull();
			assertThat(received.getMessageProperties().getMessageId()).isEqualTo(id.toString());
			assertThat(new String(received.getBody(), StandardCharsets.UTF_8)).isEqualTo("\"placed\"");
			await().atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(health.health().getStatus()).isEqualTo(Status.UP));
			assertThat(endpoint.events(SecurityContext.NONE).events()).isEmpty();
		});
	}

	@Test
	void endpointDiscardsAParkedEventAndShowsPayloadsOnlyWhenConfigured() {
		this.runner.withPropertyValues("management.endpoint.outbox.show-payload=always").run((context) -> {
			OutboxEndpoint endpoint = context.getBean(OutboxEndpoint.class);
			String exchange = "actuator-missing-" + UUID.randomUUID();
			UUID id = publish(context, OutboxEvent.of(exchange, "o-1", "placed"));
			await().atMost(Duration.ofSeconds(20))
				.until(() -> context.getBean(OutboxAdmin.class).stats().parked() == 1);

			assertThat(endpoint.event(SecurityContext.NONE, id.toString())).isNotNull()
				.satisfies((event) -> assertThat(event.payload()).isEqualTo("\"placed\""));
			assertThat(endpoint.discard(id.toString()).discarded()).isOne();

			assertThat(endpoint.event(SecurityContext.NONE, id.toString())).isNull();
			assertThat(endpoint.discard(id.toString()).discarded()).isZero();
			assertThat(new JdbcTemplate(context.getBean(DataSource.class))
				.queryForObject("select count(*) from outbox_event", Integer.class)).isZero();
		});
	}

	@Test
	void healthDegradesWhenTheOldestPendingEventWaitsTooLong() {
		this.runner.withPropertyValues("outbox.relay.enabled=false", "outbox.health.max-pending-age=100ms")
			.run((context) -> {
				HealthIndicator health = context.getBean("outboxHealthIndicator", HealthIndicator.class);
				publish(context, OutboxEvent.of("nowhere", "o-1", "placed"));

				await().atMost(Duration.ofSeconds(5))
					.untilAsserted(
							() -> assertThat(health.health().getStatus()).isEqualTo(OutboxHealthIndicator.DEGRADED));
				assertThat(health.health().getDetails().get("reasons").toString())
					.contains("outbox.health.max-pending-age");
			});
	}

	@Test
	void healthIsDownWithTheCauseWhenTheRelayGaveUp() {
		this.runner.withUserConfiguration(OverflowingSenderConfiguration.class)
			.withPropertyValues("outbox.relay.broker=overflowing")
			.run((context) -> {
				HealthIndicator health = context.getBean("outboxHealthIndicator", HealthIndicator.class);
				OutboxRelay relay = context.getBean(OutboxRelay.class);
				assertThat(health.health().getStatus()).isEqualTo(Status.UP);
				publish(context, OutboxEvent.of("anywhere", "o-1", "placed"));

				// the failure is set on the relay thread just before it stops
				// counting as running
				await().atMost(Duration.ofSeconds(20)).until(() -> relay.failure() != null && !relay.isRunning());
				Health down = health.health();
				assertThat(down.getStatus()).isEqualTo(Status.DOWN);
				assertThat(down.getDetails().get("relay").toString()).contains("gave up")
					.contains("StackOverflowError");
				assertThat(down.getDetails().get("error").toString()).contains("simulated overflow");
				assertThat(down.getDetails()).containsEntry("pending", 1L);
			});
	}

	@Test
	void endpointIsNotCreatedUnlessExposed() {
		this.runner.withPropertyValues("management.endpoints.web.exposure.include=health")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(OutboxEndpoint.class)
				.hasBean("outboxHealthIndicator"));
	}

	@Test
	void backsOffWithoutActuator() {
		this.runner.withClassLoader(new FilteredClassLoader(HealthIndicator.class, Endpoint.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(OutboxEndpoint.class)
				.doesNotHaveBean("outboxHealthIndicator")
				.hasSingleBean(OutboxAdmin.class));
	}

	@Test
	void healthIndicatorCanBeDisabled() {
		this.runner.withPropertyValues("management.health.outbox.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean("outboxHealthIndicator"));
	}

	@Test
	void failsOnANonPositiveMaxPendingAge() {
		this.runner.withPropertyValues("outbox.relay.enabled=false", "outbox.health.max-pending-age=0s")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("outbox.health.max-pending-age"));
	}

	@Configuration(proxyBeanMethods = false)
	static class OverflowingSenderConfiguration {

		@Bean
		OutboxSender overflowingSender() {
			return new OutboxSender() {

				@Override
				public String name() {
					return "overflowing";
				}

				@Override
				public CompletableFuture<Void> send(OutboxMessage message) {
					throw new StackOverflowError("simulated overflow");
				}

			};
		}

	}

	private static UUID publish(AssertableApplicationContext context, OutboxEvent event) {
		Outbox outbox = context.getBean(Outbox.class);
		return context.getBean(TransactionTemplate.class).execute((status) -> outbox.publish(event));
	}

}
