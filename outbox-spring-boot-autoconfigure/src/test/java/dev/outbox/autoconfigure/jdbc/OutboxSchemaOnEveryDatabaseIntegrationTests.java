package dev.outbox.autoconfigure.jdbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;
import dev.outbox.autoconfigure.kafka.OutboxKafkaAutoConfiguration;
import dev.outbox.autoconfigure.relay.OutboxRelayAutoConfiguration;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.test.TestDatabase;
import dev.outbox.test.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

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
import static org.awaitility.Awaitility.await;

/**
 * The outbox tables created at start-up by the starter's Flyway on every database, with
 * the database read from the connection or set by {@code outbox.database}; the relay
 * started on every database delivers through Kafka, woken by this application's commits.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
class OutboxSchemaOnEveryDatabaseIntegrationTests {

	private static final List<TestDatabase> databases = new ArrayList<>();

	@Parameter
	String product;

	@AfterParameterizedClassInvocation
	static void dropDatabases() {
		for (TestDatabase database : databases) {
			try (HikariDataSource dataSource = database.dataSource()) {
				database.drop(dataSource);
			}
		}
		databases.clear();
	}

	private TestDatabase newDatabase() {
		TestDatabase database = TestDatabase.create(this.product);
		databases.add(database);
		return database;
	}

	private static ApplicationContextRunner application(TestDatabase database, String... properties) {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
					OutboxJdbcAutoConfiguration.class, OutboxRelayAutoConfiguration.class))
			.withPropertyValues(database.propertyValues())
			.withPropertyValues("outbox.relay.enabled=false")
			.withPropertyValues(properties);
	}

	@Test
	void twoOutboxesWithTheirOwnEventTablesShareOneSchemaAndStartAgain() {
		TestDatabase database = newDatabase();
		application(database).run((first) -> {
			assertThat(first).hasNotFailed();
			application(database, "outbox.table=outbox_second").run((second) -> {
				assertThat(second).hasNotFailed();
				assertThat(tables(database)).contains("outbox_event", "outbox_event_lease", "outbox_event_instance",
						"outbox_schema_history", "outbox_second", "outbox_second_lease", "outbox_second_instance",
						"outbox_second_schema_history", "outbox_processed_message",
						"outbox_processed_message_schema_history");
				publish(first, "first");
				publish(second, "second");
				assertThat(count(database, "outbox_event")).isOne();
				assertThat(count(database, "outbox_second")).isOne();
			});
		});
		application(database).run((context) -> assertThat(context).hasNotFailed());
		application(database, "outbox.table=outbox_second").run((context) -> assertThat(context).hasNotFailed());
		assertThat(scripts(database, "outbox_processed_message_schema_history"))
			.containsExactly("<< outbox baseline >>", "V1__create_processed_table.sql");
	}

	@Test
	void databaseCanBeSetInsteadOfRead() {
		TestDatabase database = newDatabase();
		application(database, "outbox.database=" + this.product).run((context) -> {
			assertThat(context).hasNotFailed();
			publish(context, "set");
			assertThat(count(database, "outbox_event")).isOne();
		});
	}

	@Test
	void tableNameReservedByTheDatabaseFailsStartUpNamingTheProperty() {
		TestDatabase database = newDatabase();
		String reserved = "postgresql".equals(this.product) ? "user" : "release";
		application(database, "outbox.table=" + reserved).run((context) -> assertThat(context).hasFailed()
			.getFailure()
			.rootCause()
			.hasMessageContaining("outbox.table")
			.hasMessageContaining("'" + reserved + "' is a reserved word"));
	}

	@Test
	void relayDeliversThroughKafkaWokenByTheCommitInThisApplication() {
		TestDatabase database = newDatabase();
		String topic = "every-db-" + UUID.randomUUID();
		// polling every five minutes: only the in-JVM commit wake-up can deliver in time
		application(database, "outbox.relay.enabled=true", "outbox.relay.poll-interval=5m")
			.withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, OutboxKafkaAutoConfiguration.class))
			.withPropertyValues(TestKafka.propertyValue())
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(OutboxRelay.class).isRunning()).isTrue();
				Outbox outbox = context.getBean(Outbox.class);
				TransactionTemplate transactions = new TransactionTemplate(
						context.getBean(PlatformTransactionManager.class));
				for (int i = 0; i < 5; i++) {
					String payload = String.valueOf(i);
					transactions
						.executeWithoutResult((status) -> outbox.publish(OutboxEvent.of(topic, "order-1", payload)));
				}
				List<String> values = new ArrayList<>();
				try (KafkaConsumer<String, String> consumer = consumer(topic)) {
					await().atMost(Duration.ofSeconds(30)).until(() -> {
						consumer.poll(Duration.ofMillis(200)).forEach((record) -> values.add(record.value()));
						return values.size() >= 5;
					});
				}
				assertThat(values).containsExactly("\"0\"", "\"1\"", "\"2\"", "\"3\"", "\"4\"");
				await().atMost(Duration.ofSeconds(10)).until(() -> count(database, "outbox_event") == 0);
			});
	}

	private static KafkaConsumer<String, String> consumer(String topic) {
		Map<String, Object> config = new HashMap<>();
		config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
		config.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
		config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
		config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
		config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
		KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config);
		consumer.subscribe(List.of(topic));
		return consumer;
	}

	private static void publish(AssertableApplicationContext context, String key) {
		Outbox outbox = context.getBean(Outbox.class);
		new TransactionTemplate(context.getBean(PlatformTransactionManager.class))
			.executeWithoutResult((status) -> outbox.publish(OutboxEvent.of("orders", key, "payload")));
	}

	private static List<String> tables(TestDatabase database) {
		try (HikariDataSource dataSource = database.dataSource()) {
			return new JdbcTemplate(dataSource).queryForList(
					"select table_name from information_schema.tables where table_schema = ?", String.class,
					database.schema());
		}
	}

	private static long count(TestDatabase database, String table) {
		try (HikariDataSource dataSource = database.dataSource()) {
			return new JdbcTemplate(dataSource).queryForObject("select count(*) from " + table, Long.class);
		}
	}

	private static List<String> scripts(TestDatabase database, String historyTable) {
		try (HikariDataSource dataSource = database.dataSource()) {
			return new JdbcTemplate(dataSource).queryForList(
					"select script from " + historyTable + " where success order by installed_rank", String.class);
		}
	}

}
