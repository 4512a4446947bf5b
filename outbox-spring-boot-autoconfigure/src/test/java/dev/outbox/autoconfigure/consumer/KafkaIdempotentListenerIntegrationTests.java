package dev.outbox.autoconfigure.consumer;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import dev.outbox.OutboxHeaders;
import dev.outbox.OutboxTables;
import dev.outbox.consumer.IdempotentListener;
import dev.outbox.consumer.MessageIdExtractor;
import dev.outbox.consumer.MissingMessageIdException;
import dev.outbox.test.TestKafka;
import dev.outbox.test.TestPostgres;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.kafka.KafkaMessageFactory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.MethodParameter;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.util.backoff.FixedBackOff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link IdempotentListener} on a {@code @KafkaListener} with Spring Kafka's
 * {@link DefaultErrorHandler} and {@link DeadLetterPublishingRecoverer}, against a real
 * Kafka broker and PostgreSQL.
 */
class KafkaIdempotentListenerIntegrationTests {

	private static final String CONSUMER = "kafka-billing";

	private static TestPostgres.Database database;

	private final String topic = "orders-" + UUID.randomUUID();

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
				DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
				KafkaAutoConfiguration.class, OutboxConsumerAutoConfiguration.class))
		.withUserConfiguration(KafkaListenerConfiguration.class)
		.withPropertyValues(database.propertyValues())
		.withPropertyValues(TestKafka.propertyValue(), "spring.kafka.consumer.auto-offset-reset=earliest",
				"test.topic=" + this.topic, "test.group=" + this.topic + "-group");

	@BeforeAll
	static void createSchema() {
		database = ConsumerSchema.create();
	}

	@Test
	void duplicateRecordIsSkippedAndCounted() {
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
	void duplicateCloudEventIsSkippedByItsCeId() {
		this.runner.run((context) -> {
			String id = UUID.randomUUID().toString();
			CloudEvent event = CloudEventBuilder.v1()
				.withId(id)
				.withType("order-placed")
				.withSource(URI.create("urn:example:orders"))
				.withDataContentType("text/plain")
				.withData(("ce-" + id).getBytes(StandardCharsets.UTF_8))
				.build();
			@SuppressWarnings("unchecked")
			KafkaTemplate<Object, Object> template = context.getBean(KafkaTemplate.class);
			for (int i = 0; i < 2; i++) {
				// binary mode of the Kafka binding, written by the CloudEvents SDK
				ProducerRecord<String, byte[]> record = KafkaMessageFactory.createWriter(this.topic, null, null, "key")
					.writeBinary(event);
				template
					.send(new ProducerRecord<>(record.topic(), null, record.key(),
							new String(record.value(), StandardCharsets.UTF_8), record.headers()))
					.get();
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
			send(context, "flaky-" + id, id);
			await().atMost(Duration.ofSeconds(30)).until(() -> duplicates(context) == 1.0);
			assertThat(effects(context, "flaky-" + id)).isEqualTo(1);
		});
	}

	@Test
	void alwaysFailingRecordGoesToTheDeadLetterTopicWithNothingRecorded() {
		this.runner.run((context) -> {
			String id = UUID.randomUUID().toString();
			send(context, "poison-" + id, id);
			ConsumerRecord<String, String> dead = deadLetter(context, "poison-" + id);
			assertThat(header(dead, OutboxHeaders.MESSAGE_ID)).isEqualTo(id);
			assertThat(listener(context).attempts("poison-" + id)).isEqualTo(4);
			assertThat(processed(context, id)).isZero();
			assertThat(effects(context, "poison-" + id)).isZero();
		});
	}

	@Test
	void recordWithoutMessageIdIsNotRetriedAndGoesToTheDeadLetterTopic() {
		this.runner.run((context) -> {
			String payload = "no-id-" + UUID.randomUUID();
			send(context, payload, null);
			ConsumerRecord<String, String> dead = deadLetter(context, payload);
			assertThat(header(dead, KafkaHeaders.DLT_EXCEPTION_CAUSE_FQCN))
				.isEqualTo(MissingMessageIdException.class.getName());
			assertThat(context.getBean(CountingExtractor.class).calls(payload)).isEqualTo(1);
			assertThat(listener(context).attempts(payload)).isZero();
			assertThat(effects(context, payload)).isZero();
		});
	}

	@Test
	void batchListenerIsCalledWithOnlyTheNewRecordsOfEachBatch() {
		this.runner.withUserConfiguration(BatchListenerConfiguration.class).run((context) -> {
			String a = UUID.randomUUID().toString();
			String b = UUID.randomUUID().toString();
			String c = UUID.randomUUID().toString();
			String batchTopic = this.topic + ".batch";
			for (String id : List.of(a, b, a, c, b, a)) {
				send(context, batchTopic, "batch-" + id, id);
			}
			BatchListener listener = context.getBean(BatchListener.class);
			await().atMost(Duration.ofSeconds(30))
				.until(() -> duplicates(context, BatchListener.CONSUMER) == 3.0 && listener.received().size() == 3);
			assertThat(listener.received()).containsExactly("batch-" + a, "batch-" + b, "batch-" + c);
			for (String id : List.of(a, b, c)) {
				assertThat(ConsumerSchema.count(context.getBean(DataSource.class),
						"select count(*) from effect where consumer = ? and message_id = ?", BatchListener.CONSUMER,
						"batch-" + id))
					.isOne();
			}
		});
	}

	private void send(AssertableApplicationContext context, String payload, @Nullable String messageId)
			throws Exception {
		send(context, this.topic, payload, messageId);
	}

	private void send(AssertableApplicationContext context, String topic, String payload, @Nullable String messageId)
			throws Exception {
		ProducerRecord<Object, Object> record = new ProducerRecord<>(topic, "key", payload);
		if (messageId != null) {
			record.headers().add(OutboxHeaders.MESSAGE_ID, messageId.getBytes(StandardCharsets.UTF_8));
		}
		@SuppressWarnings("unchecked")
		KafkaTemplate<Object, Object> template = context.getBean(KafkaTemplate.class);
		template.send(record).get();
	}

	private static ConsumerRecord<String, String> deadLetter(AssertableApplicationContext context, String payload) {
		KafkaBillingListener listener = listener(context);
		return await().atMost(Duration.ofSeconds(30))
			.until(() -> listener.deadLetter(payload), Optional::isPresent)
			.orElseThrow();
	}

	private static @Nullable String header(ConsumerRecord<?, ?> record, String name) {
		Header header = record.headers().lastHeader(name);
		return (header != null) ? new String(header.value(), StandardCharsets.UTF_8) : null;
	}

	private static KafkaBillingListener listener(AssertableApplicationContext context) {
		return context.getBean(KafkaBillingListener.class);
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
		return duplicates(context, CONSUMER);
	}

	private static double duplicates(AssertableApplicationContext context, String consumer) {
		Counter counter = context.getBean(MeterRegistry.class)
			.find("outbox.consumer.duplicates")
			.tag("consumer", consumer)
			.counter();
		return (counter != null) ? counter.count() : 0;
	}

	@Configuration(proxyBeanMethods = false)
	static class KafkaListenerConfiguration {

		@Bean
		NewTopic ordersTopic(org.springframework.core.env.Environment environment) {
			return TopicBuilder.name(environment.getRequiredProperty("test.topic")).partitions(1).replicas(1).build();
		}

		@Bean
		NewTopic ordersDeadLetterTopic(org.springframework.core.env.Environment environment) {
			return TopicBuilder.name(environment.getRequiredProperty("test.topic") + ".DLT")
				.partitions(1)
				.replicas(1)
				.build();
		}

		@Bean
		DefaultErrorHandler errorHandler(KafkaTemplate<?, ?> template) {
			DeadLetterPublishingRecoverer recoverer = new DeadLetterPublishingRecoverer(template,
					(record, ex) -> new TopicPartition(record.topic() + ".DLT", record.partition()));
			DefaultErrorHandler errorHandler = new DefaultErrorHandler(recoverer, new FixedBackOff(100, 3));
			// retrying cannot give a message an id: straight to the dead-letter topic
			errorHandler.addNotRetryableExceptions(MissingMessageIdException.class);
			return errorHandler;
		}

		@Bean
		KafkaBillingListener kafkaBillingListener(DataSource dataSource) {
			return new KafkaBillingListener(new JdbcTemplate(dataSource));
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

	@Configuration(proxyBeanMethods = false)
	static class BatchListenerConfiguration {

		@Bean
		NewTopic batchTopic(org.springframework.core.env.Environment environment) {
			return TopicBuilder.name(environment.getRequiredProperty("test.topic") + ".batch")
				.partitions(1)
				.replicas(1)
				.build();
		}

		@Bean
		BatchListener batchListener(DataSource dataSource) {
			return new BatchListener(new JdbcTemplate(dataSource));
		}

	}

	public static class BatchListener {

		static final String CONSUMER = "kafka-batch";

		private final List<String> received = new CopyOnWriteArrayList<>();

		private final JdbcTemplate jdbc;

		public BatchListener(JdbcTemplate jdbc) {
			this.jdbc = jdbc;
		}

		// a method, not the field: the bean is a proxy
		public List<String> received() {
			return this.received;
		}

		@KafkaListener(topics = "${test.topic}.batch", groupId = "${test.group}-batch", batch = "true")
		@IdempotentListener(CONSUMER)
		public void onOrders(List<ConsumerRecord<String, String>> records) {
			for (ConsumerRecord<String, String> record : records) {
				this.received.add(record.value());
				this.jdbc.update("insert into effect (consumer, message_id) values (?, ?)", CONSUMER, record.value());
			}
		}

	}

	public static class KafkaBillingListener {

		private final List<ConsumerRecord<String, String>> deadLetters = new CopyOnWriteArrayList<>();

		private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();

		private final JdbcTemplate jdbc;

		public KafkaBillingListener(JdbcTemplate jdbc) {
			this.jdbc = jdbc;
		}

		@KafkaListener(topics = "${test.topic}", groupId = "${test.group}")
		@IdempotentListener(CONSUMER)
		public void onOrder(ConsumerRecord<String, String> record) {
			String payload = record.value();
			int attempt = this.attempts.computeIfAbsent(payload, (p) -> new AtomicInteger()).incrementAndGet();
			this.jdbc.update("insert into effect (consumer, message_id) values (?, ?)", CONSUMER, payload);
			if (payload.startsWith("poison-") || (payload.startsWith("flaky-") && attempt <= 2)) {
				throw new IllegalStateException("billing failed for attempt " + attempt);
			}
		}

		@KafkaListener(topics = "${test.topic}.DLT", groupId = "${test.group}-dlt")
		public void onDeadLetter(ConsumerRecord<String, String> record) {
			this.deadLetters.add(record);
		}

		public Optional<ConsumerRecord<String, String>> deadLetter(String payload) {
			return this.deadLetters.stream().filter((r) -> payload.equals(r.value())).findFirst();
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
			return ConsumerRecord.class.isAssignableFrom(parameter.getParameterType());
		}

		@Override
		public @Nullable String extract(MethodParameter parameter, @Nullable Object argument) {
			if (argument instanceof ConsumerRecord<?, ?> record && record.value() instanceof String payload) {
				this.calls.computeIfAbsent(payload, (p) -> new AtomicInteger()).incrementAndGet();
			}
			return null;
		}

		int calls(String payload) {
			AtomicInteger count = this.calls.get(payload);
			return (count != null) ? count.get() : 0;
		}

	}

}
