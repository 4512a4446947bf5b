package dev.outbox.autoconfigure.relay;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import dev.outbox.OutboxTables;
import dev.outbox.amqp.RabbitOutboxSender;
import dev.outbox.autoconfigure.amqp.OutboxAmqpAutoConfiguration;
import dev.outbox.autoconfigure.kafka.OutboxKafkaAutoConfiguration;
import dev.outbox.kafka.KafkaOutboxSender;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.spi.OutboxCommitListener;
import dev.outbox.spi.Partitions;
import dev.outbox.test.TestKafka;
import dev.outbox.test.TestPostgres;
import dev.outbox.test.TestRabbit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.core.KafkaTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Auto-configuration of the relay and its senders, against the real services.
 */
class OutboxRelayAutoConfigurationIntegrationTests {

	@RegisterExtension
	static final TestPostgres.SchemaPerClass schema = new TestPostgres.SchemaPerClass();

	private final TestPostgres.Database database = schema.database();

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, KafkaAutoConfiguration.class,
				RabbitAutoConfiguration.class, OutboxKafkaAutoConfiguration.class, OutboxAmqpAutoConfiguration.class,
				OutboxRelayAutoConfiguration.class))
		.withUserConfiguration(TablesConfiguration.class)
		.withPropertyValues(database.propertyValues())
		.withPropertyValues(TestKafka.propertyValue())
		.withPropertyValues(TestRabbit.broker().propertyValues());

	@BeforeAll
	static void createTables() {
		try (var dataSource = schema.database().dataSource()) {
			schema.database().migrateOutboxSchema(dataSource);
		}
	}

	@Test
	void configuresKafkaSenderAndStartedRelayWhenOnlyKafkaIsOnTheClasspath() {
		this.runner.withClassLoader(new FilteredClassLoader(RabbitTemplate.class)).run((context) -> {
			assertThat(context).hasSingleBean(KafkaOutboxSender.class)
				.doesNotHaveBean(RabbitOutboxSender.class)
				.hasSingleBean(OutboxRelay.class)
				.hasSingleBean(OutboxCommitListener.class);
			assertThat(context.getBean(OutboxRelay.class).isRunning()).isTrue();
		});
	}

	@Test
	void leavesTheRelayStoppedWhenAutoStartupIsOff() {
		this.runner.withClassLoader(new FilteredClassLoader(RabbitTemplate.class))
			.withPropertyValues("outbox.relay.auto-startup=false")
			.run((context) -> assertThat(context.getBean(OutboxRelay.class).isRunning()).isFalse());
	}

	@Test
	void appliesRelayCustomizersInOrderAfterTheProperties() {
		this.runner.withClassLoader(new FilteredClassLoader(RabbitTemplate.class))
			.withPropertyValues("outbox.relay.instance-id=from-properties")
			.withUserConfiguration(CustomizersConfiguration.class)
			.run((context) -> assertThat(context.getBean(OutboxRelay.class).instanceId()).isEqualTo("second"));
	}

	@Test
	void configuresNoKafkaSenderWithoutKafkaOnTheClasspath() {
		this.runner.withClassLoader(new FilteredClassLoader(KafkaTemplate.class)).run((context) -> {
			assertThat(context).hasSingleBean(RabbitOutboxSender.class).doesNotHaveBean(KafkaOutboxSender.class);
			assertThat(context.getBean(OutboxRelay.class).isRunning()).isTrue();
		});
	}

	@Test
	void failsNamingTheBrokerPropertyWhenBothSendersArePresent() {
		this.runner.run((context) -> assertThat(context).hasFailed()
			.getFailure()
			.rootCause()
			.hasMessageContaining("outbox.relay.broker"));
	}

	@Test
	void routesWithTheBrokerPropertyWhenBothSendersArePresent() {
		this.runner.withPropertyValues("outbox.relay.broker=rabbit", "outbox.relay.destinations.orders=kafka")
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(KafkaOutboxSender.class)
				.hasSingleBean(RabbitOutboxSender.class));
	}

	@Test
	void failsWhenTheOutboxProducerWouldNotWaitForAllReplicas() {
		this.runner.withClassLoader(new FilteredClassLoader(RabbitTemplate.class))
			.withPropertyValues("outbox.relay.kafka.producer.acks=1")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("outbox.relay.kafka.producer.acks=1"));
	}

	@Test
	void batchMaxBytesDefaultsToTheRelaysDefault() {
		// written as a literal so that the IDE metadata shows it
		assertThat(new OutboxRelayProperties().getBatchMaxBytes().toBytes())
			.isEqualTo(OutboxRelay.DEFAULT_BATCH_MAX_BYTES);
	}

	@ParameterizedTest
	@CsvSource(delimiter = '|', textBlock = """
			outbox.relay.batch-size=0                                       | outbox.relay.batch-size
			outbox.relay.batch-max-bytes=0B                                 | outbox.relay.batch-max-bytes
			outbox.relay.poll-interval=0s                                   | outbox.relay.poll-interval
			outbox.relay.send-timeout=-1s                                   | outbox.relay.send-timeout
			outbox.relay.max-attempts=0                                     | outbox.relay.max-attempts
			outbox.relay.lease-duration=10s                                 | outbox.relay.lease-duration
			outbox.relay.retention=-1h                                      | outbox.relay.retention
			outbox.relay.purge-interval=0s                                  | outbox.relay.purge-interval
			outbox.relay.purge-batch-size=0                                 | outbox.relay.purge-batch-size
			outbox.relay.backoff.initial-interval=-1s                       | outbox.relay.backoff.initial-interval
			outbox.relay.backoff.multiplier=0.5                             | outbox.relay.backoff.multiplier
			outbox.relay.backoff.max-interval=100ms                         | outbox.relay.backoff.max-interval
			outbox.relay.backoff.jitter=1.5                                 | outbox.relay.backoff.jitter
			outbox.notify-channel=Orders                                    | outbox.notify-channel
			outbox.notify-channel=user                                      | outbox.notify-channel
			""")
	void invalidRelaySettingFailsStartUpNamingItsProperty(String setting, String property) {
		this.runner.withClassLoader(new FilteredClassLoader(RabbitTemplate.class))
			.withPropertyValues(setting, "outbox.relay.send-timeout=" + sendTimeoutFor(setting))
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.isInstanceOf(InvalidConfigurationPropertyValueException.class)
				.hasMessageContaining(property));
	}

	// the lease case needs a send timeout longer than half of it; every other case a
	// valid
	// one (its own setting wins where it sets the send timeout itself)
	private static String sendTimeoutFor(String setting) {
		if (setting.startsWith("outbox.relay.send-timeout")) {
			return setting.substring(setting.indexOf('=') + 1);
		}
		return setting.startsWith("outbox.relay.lease-duration") ? "6s" : "5s";
	}

	@Test
	void backsOffWhenTheUserDefinesARelay() {
		this.runner.withClassLoader(new FilteredClassLoader(RabbitTemplate.class))
			.withUserConfiguration(UserRelayConfiguration.class)
			.run((context) -> assertThat(context).getBean(OutboxRelay.class)
				.isSameAs(context.getBean(UserRelayConfiguration.class).relay));
	}

	@Test
	void configuresNothingWhenTheRelayIsDisabled() {
		this.runner.withPropertyValues("outbox.relay.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(OutboxRelay.class)
				.doesNotHaveBean(KafkaOutboxSender.class)
				.doesNotHaveBean(RabbitOutboxSender.class));
	}

	@Test
	void relayDeliversACommittedRowToKafkaAfterTheCommitListenerWakesIt() {
		String topic = "autoconfig-" + UUID.randomUUID();
		this.runner.withClassLoader(new FilteredClassLoader(RabbitTemplate.class))
			.withPropertyValues("outbox.relay.poll-interval=1m")
			.run((context) -> {
				UUID id = UUID.randomUUID();
				new JdbcTemplate(context.getBean(DataSource.class)).update(
						"insert into outbox_event (id, aggregate_type, aggregate_id, event_type, destination, message_key, partition_no, payload, content_type, created_at, available_at)"
								+ " values (?, 'order', 'o-1', 'order-placed', ?, 'o-1', ?, ?, 'application/json', now(), now())",
						id, topic, Partitions.of("o-1", Partitions.DEFAULT_COUNT),
						"{}".getBytes(StandardCharsets.UTF_8));
				context.getBean(OutboxCommitListener.class).afterCommit();
				try (KafkaConsumer<String, byte[]> consumer = consumer(topic)) {
					List<ConsumerRecord<String, byte[]>> records = new java.util.ArrayList<>();
					await().atMost(Duration.ofSeconds(20)).until(() -> {
						consumer.poll(Duration.ofMillis(200)).forEach(records::add);
						return !records.isEmpty();
					});
					assertThat(records.get(0).key()).isEqualTo("o-1");
				}
			});
	}

	private static KafkaConsumer<String, byte[]> consumer(String topic) {
		Map<String, Object> config = new HashMap<>();
		config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
		config.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
		config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
		config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
		config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
		KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config);
		consumer.subscribe(List.of(topic));
		return consumer;
	}

	@Configuration(proxyBeanMethods = false)
	static class TablesConfiguration {

		@Bean
		OutboxTables outboxTables() {
			return new OutboxTables(schema.database().schema(), "outbox_event", "outbox_processed_message");
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserRelayConfiguration {

		final OutboxRelay relay;

		UserRelayConfiguration(DataSource dataSource, OutboxTables tables, KafkaOutboxSender sender) {
			this.relay = OutboxRelay.builder(dataSource, tables).sender(sender).build();
		}

		@Bean
		OutboxRelay userRelay() {
			return this.relay;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class CustomizersConfiguration {

		@Bean
		@Order(2)
		OutboxRelayCustomizer second() {
			return (builder) -> builder.instanceId("second");
		}

		@Bean
		@Order(1)
		OutboxRelayCustomizer first() {
			return (builder) -> builder.instanceId("first");
		}

	}

}
