package dev.outbox.autoconfigure.consumer;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import dev.outbox.OutboxHeaders;
import dev.outbox.OutboxTables;
import dev.outbox.consumer.IdempotentConsumer;
import dev.outbox.consumer.IdempotentListener;
import dev.outbox.consumer.IdempotentListenerAdvisor;
import dev.outbox.consumer.MissingMessageIdException;
import dev.outbox.test.TestPostgres;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.messaging.Message;
import org.springframework.messaging.support.MessageBuilder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link OutboxConsumerAutoConfiguration}.
 */
class OutboxConsumerAutoConfigurationIntegrationTests {

	private static TestPostgres.Database database;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
				DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
				OutboxConsumerAutoConfiguration.class))
		.withPropertyValues(database.propertyValues());

	@BeforeAll
	static void createSchema() {
		database = ConsumerSchema.create();
	}

	@Test
	void providesTheConsumerTheAdvisorThePurgerAndMetrics() {
		this.runner.run((context) -> assertThat(context).hasSingleBean(IdempotentConsumer.class)
			.hasSingleBean(IdempotentListenerAdvisor.class)
			.hasSingleBean(ProcessedMessagePurger.class)
			.hasSingleBean(OutboxConsumerMetrics.class));
	}

	@Test
	void annotatedBeanIsProxiedSkipsDuplicatesAndCountsThem() {
		this.runner.withUserConfiguration(ListenerConfiguration.class).run((context) -> {
			Listener listener = context.getBean(Listener.class);
			assertThat(AopUtils.isAopProxy(listener)).isTrue();
			String id = UUID.randomUUID().toString();
			Message<String> message = MessageBuilder.withPayload("p").setHeader(OutboxHeaders.MESSAGE_ID, id).build();
			listener.handle(message);
			listener.handle(message);
			DataSource dataSource = context.getBean(DataSource.class);
			assertThat(ConsumerSchema.count(dataSource, "select count(*) from effect where message_id = ?", id))
				.isEqualTo(1);
			assertThat(context.getBean(MeterRegistry.class)
				.get("outbox.consumer.duplicates")
				.tag("consumer", "context-listener")
				.counter()
				.count()).isEqualTo(1.0);
		});
	}

	@Test
	void missingMessageIdIsRejectedByDefault() {
		this.runner.withUserConfiguration(ListenerConfiguration.class).run((context) -> {
			Listener listener = context.getBean(Listener.class);
			assertThatExceptionOfType(MissingMessageIdException.class)
				.isThrownBy(() -> listener.handle(MessageBuilder.withPayload("p").build()));
		});
	}

	@Test
	void missingMessageIdIsProcessedWhenConfigured() {
		this.runner.withUserConfiguration(ListenerConfiguration.class)
			.withPropertyValues("outbox.consumer.missing-message-id=process")
			.run((context) -> {
				Listener listener = context.getBean(Listener.class);
				int before = listener.calls();
				listener.handle(MessageBuilder.withPayload("p").build());
				listener.handle(MessageBuilder.withPayload("p").build());
				assertThat(listener.calls() - before).isEqualTo(2);
				assertThat(context.getBean(MeterRegistry.class)
					.get("outbox.consumer.missing-message-id")
					.tag("consumer", "context-listener")
					.counter()
					.count()).isEqualTo(2.0);
			});
	}

	@Test
	void worksWithoutKafkaAndRabbitOnTheClassPath() {
		this.runner
			.withClassLoader(new FilteredClassLoader("org.apache.kafka.", "org.springframework.kafka.",
					"org.springframework.amqp.", "com.rabbitmq."))
			.withUserConfiguration(ListenerConfiguration.class)
			.run((context) -> {
				assertThat(context.getStartupFailure()).isNull();
				Listener listener = context.getBean(Listener.class);
				String id = UUID.randomUUID().toString();
				Message<String> message = MessageBuilder.withPayload("p")
					.setHeader(OutboxHeaders.MESSAGE_ID, id)
					.build();
				listener.handle(message);
				listener.handle(message);
				assertThat(ConsumerSchema.count(context.getBean(DataSource.class),
						"select count(*) from effect where message_id = ?", id))
					.isEqualTo(1);
			});
	}

	@Test
	void backsOffWhenUserDefinesIdempotentConsumer() {
		this.runner.withUserConfiguration(UserConsumerConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(IdempotentConsumer.class);
			assertThat(context.getBean(IdempotentConsumer.class))
				.isSameAs(context.getBean(UserConsumerConfiguration.class).consumer);
		});
	}

	@Test
	void disabledByProperty() {
		this.runner.withUserConfiguration(ListenerConfiguration.class)
			.withPropertyValues("outbox.consumer.enabled=false")
			.run((context) -> {
				assertThat(context).doesNotHaveBean(IdempotentConsumer.class)
					.doesNotHaveBean(IdempotentListenerAdvisor.class)
					.doesNotHaveBean(ProcessedMessagePurger.class);
				assertThat(AopUtils.isAopProxy(context.getBean(Listener.class))).isFalse();
			});
	}

	@Test
	void noConsumerWithoutDataSource() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(OutboxConsumerAutoConfiguration.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(IdempotentConsumer.class)
				.doesNotHaveBean(ProcessedMessagePurger.class));
	}

	@Test
	void invalidRetentionFailsAtStartUpNamingTheProperty() {
		this.runner.withPropertyValues("outbox.consumer.retention=0s")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("outbox.consumer.retention")
				.hasMessageContaining("positive duration"));
	}

	@Test
	void invalidPurgeBatchSizeFailsAtStartUpNamingTheProperty() {
		this.runner.withPropertyValues("outbox.consumer.purge-batch-size=0")
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("outbox.consumer.purge-batch-size"));
	}

	@Test
	void listenerWithoutMessageIdParameterFailsAtStartUp() {
		this.runner.withUserConfiguration(NoIdListenerConfiguration.class)
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.hasMessageContaining("NoIdListener.handle")
				.hasMessageContaining("has no parameter that carries the message id"));
	}

	@Test
	void purgesExpiredIdsOnSchedule() {
		this.runner.withPropertyValues("outbox.consumer.purge-interval=100ms", "outbox.consumer.retention=1h")
			.run((context) -> {
				JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
				String table = OutboxTables.DEFAULT_PROCESSED_TABLE;
				jdbc.update("insert into " + table
						+ " (consumer, message_id, processed_at) values ('purge', 'old', now() - interval '2 hours')");
				jdbc.update("insert into " + table
						+ " (consumer, message_id, processed_at) values ('purge', 'recent', now() - interval '10 minutes')");
				await().atMost(Duration.ofSeconds(10))
					.until(() -> jdbc.queryForList("select message_id from " + table + " where consumer = 'purge'",
							String.class), (ids) -> ids.size() == 1);
				assertThat(jdbc.queryForList("select message_id from " + table + " where consumer = 'purge'",
						String.class))
					.containsExactly("recent");
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class ListenerConfiguration {

		@Bean
		Listener listener(DataSource dataSource) {
			return new Listener(new JdbcTemplate(dataSource));
		}

		@Bean
		SimpleMeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

	}

	public static class Listener {

		final AtomicInteger calls = new AtomicInteger();

		private final JdbcTemplate jdbc;

		public Listener(JdbcTemplate jdbc) {
			this.jdbc = jdbc;
		}

		public int calls() {
			return this.calls.get();
		}

		@IdempotentListener("context-listener")
		public void handle(Message<String> message) {
			this.calls.incrementAndGet();
			this.jdbc.update("insert into effect (consumer, message_id) values (?, ?)", "context-listener",
					message.getHeaders().get(OutboxHeaders.MESSAGE_ID));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserConsumerConfiguration {

		final IdempotentConsumer consumer;

		UserConsumerConfiguration(DataSource dataSource) {
			this.consumer = IdempotentConsumer.builder(dataSource, new DataSourceTransactionManager(dataSource))
				.build();
		}

		@Bean
		IdempotentConsumer userIdempotentConsumer() {
			return this.consumer;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class NoIdListenerConfiguration {

		@Bean
		NoIdListener noIdListener() {
			return new NoIdListener();
		}

	}

	static class NoIdListener {

		@IdempotentListener("no-id")
		public void handle(String payload) {
		}

	}

}
