package dev.outbox.testing;

import java.time.Duration;
import java.time.Instant;

import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;
import dev.outbox.autoconfigure.jdbc.OutboxJdbcAutoConfiguration;
import dev.outbox.autoconfigure.kafka.OutboxKafkaAutoConfiguration;
import dev.outbox.autoconfigure.relay.OutboxRelayAutoConfiguration;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.test.TestKafka;
import dev.outbox.test.TestPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The test support as an application's test uses it: auto-configured next to the starter,
 * against real PostgreSQL and Kafka.
 */
class OutboxTesterIntegrationTests {

	@RegisterExtension
	static final TestPostgres.Schemas schemas = new TestPostgres.Schemas();

	private static final String NO_BROKER = "spring.kafka.bootstrap-servers=127.0.0.1:9";

	@Test
	void recordsWhatTheRelaySendsWithoutABroker() {
		runner(schemas.newSchema()).withPropertyValues(NO_BROKER, "outbox.test.send-to-broker=false").run((context) -> {
			publish(context, new OrderPlaced(1), new OrderPlaced(2), new OrderPlaced(1));
			OutboxTester tester = context.getBean(OutboxTester.class);
			tester.awaitDrained(Duration.ofSeconds(30));
			assertThat(tester.published(OutboxEvent.eventTypeOf(OrderPlaced.class))).hasSize(3)
				.extracting(OutboxMessage::key)
				.containsOnly("1", "2")
				.containsSubsequence("1", "1");
			assertThat(pending(context)).isZero();
			tester.clearPublished();
			assertThat(tester.published()).isEmpty();
		});
	}

	@Test
	void deliversOnTheTestsThreadWhenTheRelayIsNotStarted() {
		runner(schemas.newSchema())
			.withPropertyValues(NO_BROKER, "outbox.test.send-to-broker=false", "outbox.relay.auto-startup=false")
			.run((context) -> {
				publish(context, new OrderPlaced(7));
				OutboxRelay relay = context.getBean(OutboxRelay.class);
				OutboxTester tester = context.getBean(OutboxTester.class);
				assertThat(relay.isRunning()).isFalse();
				assertThat(pending(context)).isOne();
				tester.deliverNow();
				assertThat(tester.published()).singleElement()
					.satisfies((message) -> assertThat(message.key()).isEqualTo("7"));
				assertThat(pending(context)).isZero();
				// the partitions claimed for the call are free again for other instances
				assertThat(jdbc(context)
					.queryForObject("select count(*) from outbox_event_lease where owner is not null", Integer.class))
					.isZero();
			});
	}

	@Test
	void recordsWhatTheRealBrokerConfirmed() {
		runner(schemas.newSchema()).withPropertyValues(TestKafka.propertyValue()).run((context) -> {
			publish(context, new OrderPlaced(3));
			OutboxTester tester = context.getBean(OutboxTester.class);
			tester.awaitDrained(Duration.ofSeconds(60));
			assertThat(tester.published()).singleElement()
				.satisfies((message) -> assertThat(message.destination()).isEqualTo("orders"));
		});
	}

	@Test
	void neitherWaitsForNorSendsEventsPastTheirExpiry() {
		runner(schemas.newSchema())
			.withPropertyValues(NO_BROKER, "outbox.test.send-to-broker=false", "outbox.relay.auto-startup=false")
			.run((context) -> {
				Outbox outbox = context.getBean(Outbox.class);
				new TransactionTemplate(context.getBean(PlatformTransactionManager.class))
					.executeWithoutResult((status) -> {
						outbox.publish(OutboxEvent.builder("orders")
							.aggregateId(8)
							.payload(new OrderPlaced(8))
							.expiresAt(Instant.now().minusSeconds(1))
							.build());
						outbox.publish(OutboxEvent.of("orders", 9, new OrderPlaced(9)));
					});
				OutboxTester tester = context.getBean(OutboxTester.class);
				tester.awaitDrained(Duration.ofSeconds(30));
				assertThat(tester.published()).singleElement()
					.satisfies((message) -> assertThat(message.key()).isEqualTo("9"));
				assertThat(jdbc(context).queryForObject("select status from outbox_event where message_key = '8'",
						String.class))
					.isEqualTo("EXPIRED");
			});
	}

	@Test
	void failsAtOnceNamingParkedEvents() {
		runner(schemas.newSchema())
			.withPropertyValues(NO_BROKER, "outbox.relay.max-attempts=1", "outbox.relay.send-timeout=500ms",
					"outbox.relay.lease-duration=3s")
			.run((context) -> {
				publish(context, new OrderPlaced(4));
				String id = jdbc(context).queryForObject("select id::text from outbox_event", String.class);
				assertThatExceptionOfType(AssertionError.class)
					.isThrownBy(() -> context.getBean(OutboxTester.class).awaitDrained(Duration.ofMinutes(2)))
					.withMessageContaining("parked")
					.withMessageContaining("PARKED " + id)
					.withMessageContaining("destination orders, key 4, attempts 1");
			});
	}

	@Test
	void failsListingThePendingEventsWhenNothingDeliversThem() {
		runner(schemas.newSchema()).withPropertyValues("outbox.relay.enabled=false").run((context) -> {
			publish(context, new OrderPlaced(5));
			assertThatExceptionOfType(AssertionError.class)
				.isThrownBy(() -> context.getBean(OutboxTester.class).awaitDrained(Duration.ofMillis(200)))
				.withMessageContaining("did not drain within PT0.2S")
				.withMessageContaining("PENDING")
				.withMessageContaining("key 5, attempts 0");
		});
	}

	private static ApplicationContextRunner runner(TestPostgres.Database database) {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
					KafkaAutoConfiguration.class, OutboxJdbcAutoConfiguration.class, OutboxKafkaAutoConfiguration.class,
					OutboxRelayAutoConfiguration.class, OutboxTestAutoConfiguration.class))
			.withPropertyValues(database.propertyValues());
	}

	private static void publish(AssertableApplicationContext context, OrderPlaced... events) {
		Outbox outbox = context.getBean(Outbox.class);
		new TransactionTemplate(context.getBean(PlatformTransactionManager.class)).executeWithoutResult((status) -> {
			for (OrderPlaced event : events) {
				outbox.publish(OutboxEvent.of("orders", event.id(), event));
			}
		});
	}

	private static int pending(AssertableApplicationContext context) {
		return jdbc(context).queryForObject("select count(*) from outbox_event where status = 'PENDING'",
				Integer.class);
	}

	private static JdbcTemplate jdbc(AssertableApplicationContext context) {
		return new JdbcTemplate(context.getBean(javax.sql.DataSource.class));
	}

	record OrderPlaced(long id) {
	}

}
