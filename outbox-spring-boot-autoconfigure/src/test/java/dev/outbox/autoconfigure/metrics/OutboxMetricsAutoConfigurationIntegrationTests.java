package dev.outbox.autoconfigure.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;
import dev.outbox.admin.OutboxAdmin;
import dev.outbox.autoconfigure.admin.OutboxAdminAutoConfiguration;
import dev.outbox.autoconfigure.amqp.OutboxAmqpAutoConfiguration;
import dev.outbox.autoconfigure.jdbc.OutboxJdbcAutoConfiguration;
import dev.outbox.autoconfigure.relay.OutboxRelayAutoConfiguration;
import dev.outbox.test.TestPostgres;
import dev.outbox.test.TestRabbit;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.Queue;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link OutboxMetricsAutoConfiguration}: meters move as events flow through a
 * real PostgreSQL and RabbitMQ.
 */
class OutboxMetricsAutoConfigurationIntegrationTests {

	@RegisterExtension
	static final TestPostgres.SchemaPerClass schema = new TestPostgres.SchemaPerClass();

	private final TestPostgres.Database database = schema.database();

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
				DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
				RabbitAutoConfiguration.class, MetricsAutoConfiguration.class,
				SimpleMetricsExportAutoConfiguration.class, OutboxJdbcAutoConfiguration.class,
				OutboxAmqpAutoConfiguration.class, OutboxRelayAutoConfiguration.class,
				OutboxAdminAutoConfiguration.class, OutboxMetricsAutoConfiguration.class))
		.withPropertyValues(database.propertyValues())
		.withPropertyValues(TestRabbit.broker().propertyValues())
		.withPropertyValues("outbox.relay.max-attempts=2", "outbox.relay.backoff.initial-interval=50ms",
				"outbox.relay.poll-interval=100ms", "outbox.metrics.refresh-interval=0s");

	@Test
	void metersMoveAsEventsArePublishedFailedAndParked() {
		this.runner.run((context) -> {
			assertThat(context).hasNotFailed().hasSingleBean(OutboxMetrics.class);
			String exchange = "metrics-" + UUID.randomUUID();
			String unrouted = "metrics-unrouted-" + UUID.randomUUID();
			declare(context, exchange, true);
			declare(context, unrouted, false);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			publish(context, OutboxEvent.of(exchange, "o-1", "one"), OutboxEvent.of(exchange, "o-2", "two"),
					OutboxEvent.of(exchange, "o-3", "three"), OutboxEvent.of(unrouted, "o-4", "four"));

			// the listener counts an event, then times it: the timer may be a step behind
			await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
				assertThat(counter(registry, OutboxMetrics.PUBLISHED, exchange)).isEqualTo(3);
				assertThat(registry.get(OutboxMetrics.LATENCY).tag("destination", exchange).timer().count())
					.isEqualTo(3);
			});
			assertThat(registry.get(OutboxMetrics.LATENCY)
				.tag("destination", exchange)
				.timer()
				.max(java.util.concurrent.TimeUnit.MILLISECONDS)).isPositive();
			await().atMost(Duration.ofSeconds(20))
				.untilAsserted(() -> assertThat(counter(registry, OutboxMetrics.PARKED, unrouted)).isEqualTo(1));
			assertThat(counter(registry, OutboxMetrics.FAILED, unrouted)).isEqualTo(1);
			assertThat(registry.find(OutboxMetrics.PUBLISHED).tag("destination", unrouted).counter()).isNull();
			assertThat(gauge(registry, OutboxMetrics.PENDING)).isZero();
			assertThat(gauge(registry, OutboxMetrics.FAILING)).isZero();
			assertThat(gauge(registry, OutboxMetrics.PARKED_CURRENT)).isEqualTo(1);
			assertThat(gauge(registry, OutboxMetrics.OLDEST_PENDING_AGE)).isZero();

			context.getBean(OutboxAdmin.class)
				.discard(context.getBean(OutboxAdmin.class).failedEvents(1, false).get(0).id());
			assertThat(gauge(registry, OutboxMetrics.PARKED_CURRENT)).isZero();
		});
	}

	@Test
	void expiredCounterAndGaugeCountEventsThatExpiredUnsent() {
		this.runner.withPropertyValues("outbox.relay.retention=1h").run((context) -> {
			String exchange = "metrics-expired-" + UUID.randomUUID();
			declare(context, exchange, true);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			// an expiry already past is accepted: the event expires unsent
			publish(context,
					OutboxEvent.builder(exchange)
						.aggregateId("o-1")
						.payload("late")
						.expiresAt(Instant.now().minusSeconds(1))
						.build(),
					OutboxEvent.of(exchange, "o-1", "next"));

			await().atMost(Duration.ofSeconds(20))
				.untilAsserted(() -> assertThat(counter(registry, OutboxMetrics.EXPIRED, exchange)).isEqualTo(1));
			await().atMost(Duration.ofSeconds(20))
				.untilAsserted(() -> assertThat(counter(registry, OutboxMetrics.PUBLISHED, exchange)).isEqualTo(1));
			assertThat(gauge(registry, OutboxMetrics.EXPIRED_CURRENT)).isEqualTo(1);
			assertThat(context.getBean(OutboxAdmin.class).stats().expired()).isEqualTo(1);
			new org.springframework.jdbc.core.JdbcTemplate(context.getBean(javax.sql.DataSource.class))
				.update("delete from outbox_event");
		});
	}

	@Test
	void pendingGaugeAndOldestAgeShowEventsThatWait() {
		this.runner.withPropertyValues("outbox.relay.enabled=false").run((context) -> {
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			publish(context, OutboxEvent.of("nowhere", "o-1", "one"), OutboxEvent.of("nowhere", "o-2", "two"));

			assertThat(gauge(registry, OutboxMetrics.PENDING)).isEqualTo(2);
			await().atMost(Duration.ofSeconds(5))
				.untilAsserted(() -> assertThat(gauge(registry, OutboxMetrics.OLDEST_PENDING_AGE)).isPositive());
			new org.springframework.jdbc.core.JdbcTemplate(context.getBean(javax.sql.DataSource.class))
				.update("delete from outbox_event");
		});
	}

	@Test
	void gaugesReuseOneReadingWithinTheRefreshInterval() {
		this.runner.withPropertyValues("outbox.relay.enabled=false", "outbox.metrics.refresh-interval=1h")
			.run((context) -> {
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				assertThat(gauge(registry, OutboxMetrics.PENDING)).isZero();
				publish(context, OutboxEvent.of("nowhere", "o-1", "one"));

				assertThat(gauge(registry, OutboxMetrics.PENDING)).isZero();
				new org.springframework.jdbc.core.JdbcTemplate(context.getBean(javax.sql.DataSource.class))
					.update("delete from outbox_event");
			});
	}

	@Test
	void backsOffWithoutMicrometer() {
		this.runner.withClassLoader(new FilteredClassLoader(MeterRegistry.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(OutboxMetrics.class)
				.hasSingleBean(OutboxAdmin.class));
	}

	@Test
	void backsOffWithoutAMeterRegistry() {
		new ApplicationContextRunner()
			.withConfiguration(
					AutoConfigurations.of(DataSourceAutoConfiguration.class, OutboxJdbcAutoConfiguration.class,
							OutboxAdminAutoConfiguration.class, OutboxMetricsAutoConfiguration.class))
			.withPropertyValues(database.propertyValues())
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(OutboxMetrics.class));
	}

	@Test
	void failsOnANegativeRefreshInterval() {
		this.runner.withPropertyValues("outbox.relay.enabled=false", "outbox.metrics.refresh-interval=-1s")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("outbox.metrics.refresh-interval"));
	}

	private static void declare(AssertableApplicationContext context, String exchange, boolean bound) {
		AmqpAdmin admin = context.getBean(AmqpAdmin.class);
		DirectExchange directExchange = new DirectExchange(exchange, false, true);
		admin.declareExchange(directExchange);
		if (bound) {
			Queue queue = new Queue(exchange, false, false, true);
			admin.declareQueue(queue);
			Binding binding = BindingBuilder.bind(queue).to(directExchange).with("String");
			admin.declareBinding(binding);
		}
	}

	private static void publish(AssertableApplicationContext context, OutboxEvent... events) {
		Outbox outbox = context.getBean(Outbox.class);
		context.getBean(TransactionTemplate.class).executeWithoutResult((status) -> {
			for (OutboxEvent event : events) {
				outbox.publish(event);
			}
		});
	}

	private static double counter(MeterRegistry registry, String name, String destination) {
		var counter = registry.find(name).tag("destination", destination).counter();
		return (counter != null) ? counter.count() : 0;
	}

	private static double gauge(MeterRegistry registry, String name) {
		var gauge = registry.find(name).gauge();
		if (gauge != null) {
			return gauge.value();
		}
		return registry.get(name).timeGauge().value();
	}

}
