package dev.outbox.autoconfigure.jdbc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;
import dev.outbox.autoconfigure.kafka.OutboxKafkaAutoConfiguration;
import dev.outbox.autoconfigure.relay.OutboxRelayAutoConfiguration;
import dev.outbox.test.TestKafka;
import dev.outbox.test.TestPostgres;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Several outboxes in one schema, and upgrades of schemas made by earlier versions,
 * against real PostgreSQL and Kafka.
 */
class OutboxSchemaInitializerIntegrationTests {

	@RegisterExtension
	static final TestPostgres.Schemas schemas = new TestPostgres.Schemas();

	private static ApplicationContextRunner application(TestPostgres.Database database, String... properties) {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
					OutboxJdbcAutoConfiguration.class, KafkaAutoConfiguration.class, OutboxKafkaAutoConfiguration.class,
					OutboxRelayAutoConfiguration.class))
			.withClassLoader(new FilteredClassLoader(RabbitTemplate.class))
			.withPropertyValues(database.propertyValues())
			.withPropertyValues(TestKafka.propertyValue(), "outbox.relay.poll-interval=200ms")
			.withPropertyValues(properties);
	}

	@Test
	void twoApplicationsWithTheirOwnEventTablesShareOneSchemaAndBothRelay() {
		TestPostgres.Database database = schemas.newSchema();
		String topic = "several-outboxes-" + UUID.randomUUID();
		application(database).run((first) -> {
			assertThat(first).hasNotFailed();
			application(database, "outbox.table=outbox_second").run((second) -> {
				assertThat(second).hasNotFailed();
				assertThat(tables(database.schema())).contains("outbox_event", "outbox_event_lease",
						"outbox_event_instance", "outbox_schema_history", "outbox_second", "outbox_second_lease",
						"outbox_second_instance", "outbox_second_schema_history", "outbox_processed_message",
						"outbox_processed_message_schema_history");
				publish(first, topic, "from-first");
				publish(second, topic, "from-second");
				assertThat(awaitKeys(topic, 2)).containsExactlyInAnyOrder("from-first", "from-second");
			});
		});
		// both start again on the schema they share
		application(database).run((context) -> assertThat(context).hasNotFailed());
		application(database, "outbox.table=outbox_second").run((context) -> assertThat(context).hasNotFailed());
		assertThat(scripts(database, "outbox_second_schema_history")).containsExactly("<< outbox baseline >>",
				"V1__create_event_tables.sql", "V2__block_per_destination_and_key.sql", "V3__expiry.sql",
				"V4__index_held_rows_by_due_time.sql");
		assertThat(scripts(database, "outbox_processed_message_schema_history"))
			.containsExactly("<< outbox baseline >>", "V1__create_processed_table.sql");
	}

	@Test
	void installOfAnEarlierVersionStillStartsAndKeepsItsHistory() {
		TestPostgres.Database database = schemas.newSchema();
		legacyMigration(database, "outbox_event", "outbox_schema_history");
		String topic = "legacy-" + UUID.randomUUID();
		application(database).run((context) -> {
			assertThat(context).hasNotFailed();
			publish(context, topic, "after-upgrade");
			assertThat(awaitKeys(topic, 1)).containsExactly("after-upgrade");
		});
		assertThat(new JdbcTemplate(schemas.admin()).queryForList(
				"select description from " + database.schema() + ".outbox_schema_history where version = '1'",
				String.class))
			.containsExactly("create event tables");
		application(database).run((context) -> assertThat(context).hasNotFailed());
		application(database, "outbox.table=outbox_second").run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void customEventTableOfAnEarlierVersionIsAdoptedByItsNewHistory() {
		TestPostgres.Database database = schemas.newSchema();
		// earlier versions kept every table's migration in outbox_schema_history
		legacyMigration(database, "my_events", "outbox_schema_history");
		String topic = "adopted-" + UUID.randomUUID();
		application(database, "outbox.table=my_events").run((context) -> {
			assertThat(context).hasNotFailed();
			publish(context, topic, "adopted");
			assertThat(awaitKeys(topic, 1)).containsExactly("adopted");
		});
		// adopted at version 1, then upgraded like any other
		assertThat(scripts(database, "my_events_schema_history")).containsExactly("<< outbox baseline >>",
				"V2__block_per_destination_and_key.sql", "V3__expiry.sql", "V4__index_held_rows_by_due_time.sql");
		application(database, "outbox.table=my_events").run((context) -> assertThat(context).hasNotFailed());
	}

	private static void legacyMigration(TestPostgres.Database database, String eventTable, String historyTable) {
		Flyway.configure()
			.dataSource(schemas.admin())
			.schemas(database.schema())
			.locations("classpath:legacy-outbox-migration")
			.table(historyTable)
			.placeholders(Map.of("event_table", eventTable, "processed_table", "outbox_processed_message"))
			.load()
			.migrate();
	}

	private static void publish(AssertableApplicationContext context, String topic, String key) {
		Outbox outbox = context.getBean(Outbox.class);
		new TransactionTemplate(context.getBean(PlatformTransactionManager.class))
			.executeWithoutResult((status) -> outbox.publish(OutboxEvent.of(topic, key, "payload")));
	}

	private static List<String> awaitKeys(String topic, int count) {
		Map<String, Object> config = new HashMap<>();
		config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
		config.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
		config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
		config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
		config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
		List<String> keys = new ArrayList<>();
		try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
			consumer.subscribe(List.of(topic));
			await().atMost(Duration.ofSeconds(30)).until(() -> {
				for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
					keys.add(record.key());
				}
				return keys.size() >= count;
			});
		}
		return keys;
	}

	private static List<String> tables(String schema) {
		return new JdbcTemplate(schemas.admin()).queryForList(
				"select table_name from information_schema.tables where table_schema = ?", String.class, schema);
	}

	private static List<String> scripts(TestPostgres.Database database, String historyTable) {
		return new JdbcTemplate(schemas.admin()).queryForList("select script from " + database.schema() + "."
				+ historyTable + " where success order by installed_rank", String.class);
	}

}
