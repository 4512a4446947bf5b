package dev.outbox.autoconfigure.consumer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import dev.outbox.OutboxHeaders;
import dev.outbox.OutboxTables;
import dev.outbox.consumer.IdempotentListener;
import dev.outbox.consumer.MessageIdExtractor;
import dev.outbox.consumer.MissingMessageIdException;
import dev.outbox.test.TestPostgres;
import dev.outbox.test.TestRabbit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.Declarables;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageBuilder;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.amqp.autoconfigure.RabbitListenerRetrySettingsCustomizer;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.MethodParameter;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link IdempotentListener} on a {@code @RabbitListener} with Spring Boot's listener
 * retry and a dead-letter exchange, against a real RabbitMQ and PostgreSQL.
 */
class RabbitIdempotentListenerIntegrationTests {

	private static final String CONSUMER = "rabbit-billing";

	private static TestPostgres.Database database;

	private final String queue = "billing-" + UUID.randomUUID();

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
				DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
				RabbitAutoConfiguration.class, OutboxConsumerAutoConfiguration.class))
		.withUserConfiguration(RabbitListenerConfiguration.class)
		.withPropertyValues(database.propertyValues())
		.withPropertyValues(TestRabbit.broker().propertyValues())
		.withPropertyValues("test.queue=" + this.queue, "spring.rabbitmq.listener.simple.retry.enabled=true",
				"spring.rabbitmq.listener.simple.retry.max-retries=2",
				"spring.rabbitmq.listener.simple.retry.initial-interval=50ms",
				"spring.rabbitmq.listener.simple.default-requeue-rejected=false");

	@BeforeAll
	static void createSchema() {
		database = ConsumerSchema.create();
	}

	@Test
	void duplicateMessageIsSkippedAndCounted() {
		this.runner.run((context) -> {
			String id = UUID.randomUUID().toString();
			send(context, "ok-" + id, id);
			send(context, "ok-" + id, id);
			await().atMost(Duration.ofSeconds(30)).until(() -> duplicates(context) == 1.0);
			assertThat(effects(context, "ok-" + id)).isEqualTo(1);
			assertThat(processed(context, id)).isEqualTo(1);
			assertThat(listener(context).attempts("ok-" + id)).isEqualTo(1);
		});
	}

	@Test
	void duplicateCloudEventIsSkippedByItsCloudEventsId() {
		this.runner.run((context) -> {
			String id = UUID.randomUUID().toString();
			for (int i = 0; i < 2; i++) {
				// binary mode of the AMQP binding, from a producer that is not the outbox
				Message message = MessageBuilder.withBody(("ce-" + id).getBytes())
					.setContentType("text/plain")
					.setHeader("cloudEvents_specversion", "1.0")
					.setHeader("cloudEvents_id", id)
					.setHeader("cloudEvents_type", "order-placed")
					.setHeader("cloudEvents_source", "urn:example:orders")
					.build();
				context.getBean(RabbitTemplate.class).send("", this.queue, message);
			}
			await().atMost(Duration.ofSeconds(30)).until(() -> duplicates(context) == 1.0);
			assertThat(effects(context, "ce-" + id)).isEqualTo(1);
			assertThat(processed(context, id)).isEqualTo(1);
		});
	}

	@Test
	void failedAttemptsRecordNothingAndTheRetryThatSucceedsHasOneEffect() {
		this.runner.run((context) -> {
			String id = UUID.randomUUID().toString();
			send(context, "flaky-" + id, id);
			await().atMost(Duration.ofSeconds(30)).until(() -> processed(context, id) == 1);
			assertThat(listener(context).attempts("flaky-" + id)).isEqualTo(3);
			assertThat(effects(context, "flaky-" + id)).isEqualTo(1);
		});
	}

	@Test
	void alwaysFailingMessageIsDeadLetteredWithNothingRecorded() {
		this.runner.run((context) -> {
			String id = UUID.randomUUID().toString();
			send(context, "poison-" + id, id);
			Message dead = deadLetter(context);
			assertThat(new String(dead.getBody())).isEqualTo("poison-" + id);
			assertThat(dead.getMessageProperties().<String>getHeader(OutboxHeaders.MESSAGE_ID)).isEqualTo(id);
			assertThat(listener(context).attempts("poison-" + id)).isEqualTo(3);
			assertThat(processed(context, id)).isZero();
			assertThat(effects(context, "poison-" + id)).isZero();
		});
	}

	@Test
	void messageWithoutIdIsNotRetriedAndIsDeadLettered() {
		this.runner.run((context) -> {
			String payload = "no-id-" + UUID.randomUUID();
			send(context, payload, null);
			Message dead = deadLetter(context);
			assertThat(new String(dead.getBody())).isEqualTo(payload);
			assertThat(context.getBean(CountingExtractor.class).calls(payload)).isEqualTo(1);
			assertThat(listener(context).attempts(payload)).isZero();
			assertThat(effects(context, payload)).isZero();
		});
	}

	private void send(AssertableApplicationContext context, String payload, @Nullable String messageId) {
		MessageBuilder message = MessageBuilder.withBody(payload.getBytes());
		if (messageId != null) {
			message.setHeader(OutboxHeaders.MESSAGE_ID, messageId).setMessageId(messageId);
		}
		context.getBean(RabbitTemplate.class).send("", this.queue, message.build());
	}

	private Message deadLetter(AssertableApplicationContext context) {
		RabbitTemplate template = context.getBean(RabbitTemplate.class);
		Message message = template.receive(this.queue + ".dlq", 30_000);
		assertThat(message).as("dead-lettered message").isNotNull();
		return message;
	}

	private static RabbitBillingListener listener(AssertableApplicationContext context) {
		return context.getBean(RabbitBillingListener.class);
	}

	private static int effects(AssertableApplicationContext context, String payload) {
		return ConsumerSchema.count(context.getBean(DataSource.class),
				"select count(*) from effect where consumer = ? and message_id = ?", CONSUMER, payload);
	}

	private static int processed(AssertableApplicationContext context, String id) {
		return ConsumerSchema.count(context.getBean(DataSource.class), "select count(*) from "
				+ OutboxTables.DEFAULT_PROCESSED_TABLE + " where consumer = ? and message_id = ?", CONSUMER, id);
	}

	private static double duplicates(AssertableApplicationContext context) {
		Counter counter = context.getBean(MeterRegistry.class)
			.find("outbox.consumer.duplicates")
			.tag("consumer", CONSUMER)
			.counter();
		return (counter != null) ? counter.count() : 0;
	}

	@Configuration(proxyBeanMethods = false)
	static class RabbitListenerConfiguration {

		@Bean
		Declarables billingQueues(Environment environment) {
			String name = environment.getRequiredProperty("test.queue");
			Queue queue = QueueBuilder.nonDurable(name).autoDelete().deadLetterExchange(name + ".dlx").build();
			DirectExchange deadLetterExchange = new DirectExchange(name + ".dlx", false, true);
			Queue deadLetterQueue = QueueBuilder.nonDurable(name + ".dlq").autoDelete().build();
			Binding binding = BindingBuilder.bind(deadLetterQueue).to(deadLetterExchange).with(name);
			return new Declarables(queue, deadLetterExchange, deadLetterQueue, binding);
		}

		@Bean
		RabbitListenerRetrySettingsCustomizer notRetryingMissingMessageIds() {
			// retrying cannot give a message an id: straight to the dead-letter exchange
			return (settings) -> settings.setExceptionExcludes(List.of(MissingMessageIdException.class));
		}

		@Bean
		RabbitBillingListener rabbitBillingListener(DataSource dataSource) {
			return new RabbitBillingListener(new JdbcTemplate(dataSource));
		}

		@Bean
		CountingExtractor countingExtractor() {
			return new CountingExtractor();
		}

		@Bean
		SimpleMeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

	}

	public static class RabbitBillingListener {

		private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();

		private final JdbcTemplate jdbc;

		public RabbitBillingListener(JdbcTemplate jdbc) {
			this.jdbc = jdbc;
		}

		@RabbitListener(queues = "${test.queue}")
		@IdempotentListener(CONSUMER)
		public void onOrder(Message message) {
			String payload = new String(message.getBody());
			int attempt = this.attempts.computeIfAbsent(payload, (p) -> new AtomicInteger()).incrementAndGet();
			this.jdbc.update("insert into effect (consumer, message_id) values (?, ?)", CONSUMER, payload);
			if (payload.startsWith("poison-") || (payload.startsWith("flaky-") && attempt <= 2)) {
				throw new IllegalStateException("billing failed for attempt " + attempt);
			}
		}

		public int attempts(String payload) {
			AtomicInteger count = this.attempts.get(payload);
			return (count != null) ? count.get() : 0;
		}

	}

	/**
	 * A custom extractor (asked before the built-in ones) that finds nothing and counts
	 * how often a payload was delivered to the listener.
	 */
	static class CountingExtractor implements MessageIdExtractor {

		private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

		@Override
		public boolean supports(MethodParameter parameter) {
			return Message.class.isAssignableFrom(parameter.getParameterType());
		}

		@Override
		public @Nullable String extract(MethodParameter parameter, @Nullable Object argument) {
			if (argument instanceof Message message) {
				this.calls.computeIfAbsent(new String(message.getBody()), (p) -> new AtomicInteger()).incrementAndGet();
			}
			return null;
		}

		int calls(String payload) {
			AtomicInteger count = this.calls.get(payload);
			return (count != null) ? count.get() : 0;
		}

	}

}
