package dev.outbox.autoconfigure.jdbc;

import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxException;
import dev.outbox.OutboxTables;
import dev.outbox.jdbc.JdbcOutbox;
import dev.outbox.json.JacksonPayloadSerializer;
import dev.outbox.spi.OutboxCommitListener;
import dev.outbox.spi.PayloadSerializer;
import dev.outbox.test.TestPostgres;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Tests for {@link OutboxJdbcAutoConfiguration}, against a real PostgreSQL.
 */
class OutboxJdbcAutoConfigurationIntegrationTests {

	@RegisterExtension
	static final TestPostgres.Schemas schemas = new TestPostgres.Schemas();

	private static final AutoConfigurations DATA_SOURCE = AutoConfigurations.of(DataSourceAutoConfiguration.class,
			DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
			OutboxJdbcAutoConfiguration.class);

	private static ApplicationContextRunner runner(TestPostgres.Database database) {
		return new ApplicationContextRunner().withConfiguration(DATA_SOURCE)
			.withPropertyValues(database.propertyValues());
	}

	@Test
	void createsTablesAndOutboxWithDefaults() {
		TestPostgres.Database database = schemas.newSchema();
		runner(database).run((context) -> {
			assertThat(context).hasNotFailed()
				.hasSingleBean(JdbcOutbox.class)
				.hasSingleBean(OutboxSchemaInitializer.class);
			assertThat(context.getBean(OutboxTables.class)).isEqualTo(OutboxTables.defaults());
			assertThat(context.getBean(PayloadSerializer.class)).isInstanceOf(JacksonPayloadSerializer.class);
			JdbcOutbox outbox = context.getBean(JdbcOutbox.class);
			assertThat(outbox.partitions()).isEqualTo(16);
			assertThat(outbox.notifyChannel()).isEqualTo("outbox");
			assertThat(tables(database.schema())).contains("outbox_event", "outbox_event_lease",
					"outbox_event_instance", "outbox_processed_message", "outbox_schema_history");
			publishOne(context);
			assertThat(count(database.schema() + ".outbox_event")).isOne();
		});
		// a second start on the same schema finds the tables up to date
		runner(database).run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void createsTablesWithConfiguredSchemaAndNames() {
		TestPostgres.Database database = schemas.newSchema();
		String schema = "outbox_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
		schemas.dropAfterwards(
				new TestPostgres.Database(database.url(), database.username(), database.password(), schema));
		runner(database)
			.withPropertyValues("outbox.schema=" + schema, "outbox.table=my_events",
					"outbox.processed-table=my_processed", "outbox.flyway.history-table=my_history",
					"outbox.partitions=4", "outbox.notify-channel=", "outbox.max-payload-size=2KB")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(OutboxTables.class))
					.isEqualTo(new OutboxTables(schema, "my_events", "my_processed"));
				assertThat(tables(schema)).containsExactlyInAnyOrder("my_events", "my_events_lease",
						"my_events_instance", "my_processed", "my_history", "my_processed_schema_history");
				assertThat(tables(database.schema())).isEmpty();
				JdbcOutbox outbox = context.getBean(JdbcOutbox.class);
				assertThat(outbox.partitions()).isEqualTo(4);
				assertThat(outbox.notifyChannel()).isNull();
				publishOne(context);
				assertThat(count(schema + ".my_events")).isOne();
			});
	}

	@Test
	void flywayDisabledCreatesNothing() {
		TestPostgres.Database database = schemas.newSchema();
		runner(database).withPropertyValues("outbox.flyway.enabled=false").run((context) -> {
			assertThat(context).hasNotFailed()
				.hasSingleBean(JdbcOutbox.class)
				.doesNotHaveBean(OutboxSchemaInitializer.class);
			assertThat(tables(database.schema())).isEmpty();
		});
	}

	@Test
	void missingFlywayFailsStartUpUnlessTheSchemaIsManagedElsewhere() {
		TestPostgres.Database database = schemas.newSchema();
		ApplicationContextRunner withoutFlyway = runner(database)
			.withClassLoader(new FilteredClassLoader("org.flywaydb.core"));
		withoutFlyway.run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("outbox.flyway.enabled")
				.hasMessageContaining("flyway-database-postgresql")
				.hasMessageContaining("V1__create_event_tables.sql")
				.hasMessageContaining("V1__create_processed_table.sql");
		});
		withoutFlyway.withPropertyValues("outbox.flyway.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(JdbcOutbox.class));
	}

	@Test
	void usesTheApplicationClockForEventTimestamps() {
		TestPostgres.Database database = schemas.newSchema();
		Instant then = Instant.parse("2030-01-02T03:04:05Z");
		runner(database).withBean(Clock.class, () -> Clock.fixed(then, ZoneOffset.UTC)).run((context) -> {
			publishOne(context);
			assertThat(new JdbcTemplate(schemas.admin())
				.queryForObject("select created_at from " + database.schema() + ".outbox_event", Timestamp.class)
				.toInstant()).isEqualTo(then);
		});
	}

	@Test
	void disabledCreatesNothing() {
		TestPostgres.Database database = schemas.newSchema();
		runner(database).withPropertyValues("outbox.enabled=false").run((context) -> {
			assertThat(context).hasNotFailed().doesNotHaveBean(Outbox.class).doesNotHaveBean(OutboxTables.class);
			assertThat(tables(database.schema())).isEmpty();
		});
	}

	@Test
	void invalidTableNameFailsStartUpNamingTheProperty() {
		TestPostgres.Database database = schemas.newSchema();
		runner(database).withPropertyValues("outbox.table=Orders-Outbox").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("outbox.table")
				.hasMessageContaining("Orders-Outbox")
				.hasMessageContaining("lower-case letters, digits and underscores");
			assertThat(tables(database.schema())).isEmpty();
		});
		runner(database).withPropertyValues("outbox.schema=public; drop table x").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("outbox.schema");
		});
		runner(database).withPropertyValues("outbox.flyway.history-table=1history").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("outbox.flyway.history-table");
		});
	}

	@Test
	void reservedWordAsTableNameFailsStartUpNamingThePropertyAndTheFix() {
		TestPostgres.Database database = schemas.newSchema();
		runner(database).withPropertyValues("outbox.table=user").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining("outbox.table")
				.hasMessageContaining("'user' is a reserved word in PostgreSQL")
				.hasMessageContaining("Set outbox.table to")
				.hasMessageContaining("for example 'outbox_user'");
			assertThat(tables(database.schema())).isEmpty();
		});
		runner(database).withPropertyValues("outbox.processed-table=order")
			.run((context) -> assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("outbox.processed-table")
				.hasMessageContaining("'order' is a reserved word"));
		runner(database).withPropertyValues("outbox.schema=select")
			.run((context) -> assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("outbox.schema")
				.hasMessageContaining("'select' is a reserved word"));
	}

	@Test
	void notifyChannelFollowsTheIdentifierRuleTheRelayListensBy() {
		TestPostgres.Database database = schemas.newSchema();
		runner(database).withPropertyValues("outbox.flyway.enabled=false", "outbox.notify-channel=Orders")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause()
					.isInstanceOf(InvalidConfigurationPropertyValueException.class)
					.hasMessageContaining("outbox.notify-channel")
					.hasMessageContaining("upper-case")
					.hasMessageContaining("for example 'orders'");
			});
		runner(database).withPropertyValues("outbox.flyway.enabled=false", "outbox.notify-channel=user")
			.run((context) -> assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("outbox.notify-channel")
				.hasMessageContaining("reserved word"));
		runner(database).withPropertyValues("outbox.flyway.enabled=false", "outbox.notify-channel=orders")
			.run((context) -> assertThat(context.getBean(JdbcOutbox.class).notifyChannel()).isEqualTo("orders"));
	}

	@Test
	void invalidLimitsFailStartUpNamingTheProperty() {
		TestPostgres.Database database = schemas.newSchema();
		runner(database).withPropertyValues("outbox.flyway.enabled=false", "outbox.max-payload-size=0B")
			.run((context) -> assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("outbox.max-payload-size"));
		runner(database).withPropertyValues("outbox.flyway.enabled=false", "outbox.partitions=0")
			.run((context) -> assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("outbox.partitions"));
		runner(database).withPropertyValues("outbox.flyway.enabled=false", "outbox.max-headers=-1")
			.run((context) -> assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("outbox.max-headers"));
		runner(database).withPropertyValues("outbox.flyway.enabled=false", "outbox.max-header-size=0B")
			.run((context) -> assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("outbox.max-header-size"));
	}

	@Test
	void headerLimitsApplyAtPublishNamingTheirProperties() {
		TestPostgres.Database database = schemas.newSchema();
		runner(database).withPropertyValues("outbox.max-headers=1", "outbox.max-header-size=32B").run((context) -> {
			Outbox outbox = context.getBean(Outbox.class);
			TransactionTemplate transactions = new TransactionTemplate(
					context.getBean(PlatformTransactionManager.class));
			assertThat(catchThrowable(
					() -> transactions.executeWithoutResult((status) -> outbox.publish(OutboxEvent.builder("orders")
						.aggregateId(1)
						.payload("x")
						.header("a", "1")
						.header("b", "2")
						.build()))))
				.isInstanceOf(OutboxException.class)
				.hasMessageContaining("outbox.max-headers");
			assertThat(catchThrowable(() -> transactions.executeWithoutResult((status) -> outbox.publish(
					OutboxEvent.builder("orders").aggregateId(1).payload("x").header("a", "v".repeat(32)).build()))))
				.isInstanceOf(OutboxException.class)
				.hasMessageContaining("outbox.max-header-size");
		});
	}

	@Test
	void backsOffWhenUserDefinesOutbox() {
		TestPostgres.Database database = schemas.newSchema();
		runner(database).withPropertyValues("outbox.flyway.enabled=false")
			.withUserConfiguration(UserOutboxConfiguration.class)
			.run((context) -> assertThat(context).hasSingleBean(Outbox.class)
				.getBean(Outbox.class)
				.isSameAs(context.getBean(UserOutboxConfiguration.class).outbox));
	}

	@Test
	void backsOffWhenUserDefinesPayloadSerializer() {
		TestPostgres.Database database = schemas.newSchema();
		runner(database).withPropertyValues("outbox.flyway.enabled=false")
			.withUserConfiguration(UserSerializerConfiguration.class)
			.run((context) -> assertThat(context).hasSingleBean(PayloadSerializer.class)
				.doesNotHaveBean(JacksonPayloadSerializer.class)
				.hasSingleBean(JdbcOutbox.class));
	}

	@Test
	void backsOffWhenUserDefinesOutboxTables() {
		TestPostgres.Database database = schemas.newSchema();
		runner(database).withUserConfiguration(UserTablesConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(OutboxTables.class);
			assertThat(context.getBean(JdbcOutbox.class).tables().eventTable()).isEqualTo("user_events");
			assertThat(tables(database.schema())).contains("user_events", "user_processed");
		});
	}

	@Test
	void usesTheApplicationJsonMapper() {
		TestPostgres.Database database = schemas.newSchema();
		runner(database).withPropertyValues("outbox.flyway.enabled=false")
			.withBean(JsonMapper.class,
					() -> JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build())
			.run((context) -> assertThat(context.getBean(PayloadSerializer.class).serialize(new OrderPlaced(7)))
				.asString(StandardCharsets.UTF_8)
				.isEqualTo("{\"order_id\":7}"));
	}

	@Test
	void callsCommitListenerBeansInOrderAfterCommit() {
		TestPostgres.Database database = schemas.newSchema();
		runner(database).withUserConfiguration(ListenerConfiguration.class).run((context) -> {
			List<String> calls = context.getBean(ListenerConfiguration.class).calls;
			publishOne(context);
			assertThat(calls).containsExactly("first", "second");
		});
	}

	@Test
	void runsAfterTheApplicationsFlywayWithoutInterfering() {
		TestPostgres.Database database = schemas.newSchema();
		ApplicationContextRunner runner = runner(database)
			.withConfiguration(AutoConfigurations.of(FlywayAutoConfiguration.class))
			.withPropertyValues("spring.flyway.locations=classpath:db/app-migration");
		runner.run((context) -> {
			assertThat(context).hasNotFailed().hasSingleBean(Flyway.class).hasSingleBean(JdbcOutbox.class);
			assertThat(context.getBeanFactory().getBeanDefinition("outboxSchemaInitializer").getDependsOn())
				.contains("flywayInitializer");
			assertThat(tables(database.schema())).contains("app_orders", "flyway_schema_history", "outbox_event",
					"outbox_schema_history");
			// the application's Flyway found an empty schema; the outbox's ran after it,
			// so it
			// baselined the non-empty schema
			JdbcTemplate jdbc = new JdbcTemplate(schemas.admin());
			assertThat(jdbc.queryForList("select script from " + database.schema()
					+ ".flyway_schema_history where success order by installed_rank", String.class))
				.containsExactly("V1__create_orders.sql");
			assertThat(jdbc.queryForList("select script from " + database.schema()
					+ ".outbox_schema_history where success order by installed_rank", String.class))
				.containsExactly("<< outbox baseline >>", "V1__create_event_tables.sql",
						"V2__block_per_destination_and_key.sql", "V3__expiry.sql",
						"V4__index_held_rows_by_due_time.sql");
		});
		runner.run((context) -> assertThat(context).hasNotFailed());
	}

	private static void publishOne(AssertableApplicationContext context) {
		Outbox outbox = context.getBean(Outbox.class);
		new TransactionTemplate(context.getBean(PlatformTransactionManager.class))
			.executeWithoutResult((status) -> outbox.publish(OutboxEvent.of("orders", 1, new OrderPlaced(1))));
	}

	private static List<String> tables(String schema) {
		return new JdbcTemplate(schemas.admin()).queryForList(
				"select table_name from information_schema.tables where table_schema = ?", String.class, schema);
	}

	private static long count(String table) {
		return new JdbcTemplate(schemas.admin()).queryForObject("select count(*) from " + table, Long.class);
	}

	record OrderPlaced(long orderId) {
	}

	@Configuration(proxyBeanMethods = false)
	static class UserOutboxConfiguration {

		final Outbox outbox = new Outbox() {

			@Override
			public UUID publish(OutboxEvent event) {
				throw new UnsupportedOperationException();
			}

			@Override
			public List<UUID> publishAll(List<OutboxEvent> events) {
				throw new UnsupportedOperationException();
			}

		};

		@Bean
		Outbox userOutbox() {
			return this.outbox;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserSerializerConfiguration {

		@Bean
		PayloadSerializer userSerializer() {
			return new PayloadSerializer() {

				@Override
				public byte[] serialize(Object payload) {
					return payload.toString().getBytes(StandardCharsets.UTF_8);
				}

				@Override
				public String contentType() {
					return "text/plain";
				}

			};
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserTablesConfiguration {

		@Bean
		OutboxTables userTables() {
			return new OutboxTables(null, "user_events", "user_processed");
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ListenerConfiguration {

		final List<String> calls = Collections.synchronizedList(new ArrayList<>());

		@Bean
		@Order(2)
		OutboxCommitListener secondListener() {
			return () -> this.calls.add("second");
		}

		@Bean
		@Order(1)
		OutboxCommitListener firstListener() {
			return () -> this.calls.add("first");
		}

	}

}
