package dev.outbox.autoconfigure.tracing;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;
import dev.outbox.autoconfigure.amqp.OutboxAmqpAutoConfiguration;
import dev.outbox.autoconfigure.jdbc.OutboxJdbcAutoConfiguration;
import dev.outbox.autoconfigure.kafka.OutboxKafkaAutoConfiguration;
import dev.outbox.autoconfigure.relay.OutboxRelayAutoConfiguration;
import dev.outbox.spi.OutboxHeaderContributor;
import dev.outbox.test.TestKafka;
import dev.outbox.test.TestPostgres;
import dev.outbox.test.TestRabbit;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.Declarables;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.TopicExchange;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration;
import org.springframework.boot.micrometer.tracing.brave.autoconfigure.BraveAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link OutboxTracingAutoConfiguration}: the trace of the publishing
 * transaction reaches a {@code @KafkaListener} or {@code @RabbitListener} with
 * observation enabled, through the outbox table, the relay and a real Kafka or RabbitMQ
 * broker.
 */
class OutboxTracingAutoConfigurationIntegrationTests {

	@RegisterExtension
	static final TestPostgres.SchemaPerClass schema = new TestPostgres.SchemaPerClass();

	private final TestPostgres.Database database = schema.database();

	private final String topic = "tracing-" + UUID.randomUUID();

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
				DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
				KafkaAutoConfiguration.class, ObservationAutoConfiguration.class,
				MicrometerTracingAutoConfiguration.class, BraveAutoConfiguration.class,
				OutboxJdbcAutoConfiguration.class, OutboxKafkaAutoConfiguration.class,
				OutboxRelayAutoConfiguration.class, OutboxTracingAutoConfiguration.class))
		.withClassLoader(new FilteredClassLoader(RabbitTemplate.class))
		.withPropertyValues(database.propertyValues())
		.withPropertyValues(TestKafka.propertyValue())
		.withPropertyValues("outbox.relay.poll-interval=100ms", "spring.kafka.listener.observation-enabled=true",
				"spring.kafka.consumer.auto-offset-reset=earliest", "management.tracing.sampling.probability=1.0",
				"test.topic=" + this.topic);

	@Test
	void consumerContinuesTheTraceOfThePublishingTransaction() {
		this.runner.withUserConfiguration(ListenerConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed().hasSingleBean(TraceContextHeaderContributor.class);
			Tracer tracer = context.getBean(Tracer.class);
			Outbox outbox = context.getBean(Outbox.class);
			TransactionTemplate transactions = context.getBean(TransactionTemplate.class);
			Span span = tracer.nextSpan().name("place-order").start();
			try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
				transactions
					.executeWithoutResult((status) -> outbox.publish(OutboxEvent.of(this.topic, "o-1", "placed")));
			}
			finally {
				span.end();
			}

			Received received = context.getBean(ListenerConfiguration.class).received.poll(30, TimeUnit.SECONDS);
			assertThat(received).isNotNull();
			assertThat(received.traceparent()).startsWith("00-" + span.context().traceId() + "-");
			assertThat(received.traceId()).isEqualTo(span.context().traceId());
			assertThat(received.spanId()).isNotEqualTo(span.context().spanId());
		});
	}

	@Test
	void rabbitListenerContinuesTheTraceOfThePublishingTransaction() {
		String exchange = "tracing-" + UUID.randomUUID();
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
					RabbitAutoConfiguration.class, ObservationAutoConfiguration.class,
					MicrometerTracingAutoConfiguration.class, BraveAutoConfiguration.class,
					OutboxJdbcAutoConfiguration.class, OutboxAmqpAutoConfiguration.class,
					OutboxRelayAutoConfiguration.class, OutboxTracingAutoConfiguration.class))
			.withClassLoader(new FilteredClassLoader(KafkaTemplate.class))
			.withPropertyValues(database.propertyValues())
			.withPropertyValues(TestRabbit.broker().propertyValues())
			.withPropertyValues("outbox.relay.poll-interval=100ms",
					"spring.rabbitmq.listener.simple.observation-enabled=true",
					"management.tracing.sampling.probability=1.0", "test.exchange=" + exchange)
			.withUserConfiguration(RabbitListenerConfiguration.class)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				Span span = publishInSpan(context, exchange);
				Received received = context.getBean(RabbitListenerConfiguration.class).received.poll(30,
						TimeUnit.SECONDS);
				assertThat(received).isNotNull();
				assertThat(received.traceparent()).startsWith("00-" + span.context().traceId() + "-");
				assertThat(received.traceId()).isEqualTo(span.context().traceId());
				assertThat(received.spanId()).isNotEqualTo(span.context().spanId());
			});
	}

	private static Span publishInSpan(AssertableApplicationContext context, String destination) {
		Tracer tracer = context.getBean(Tracer.class);
		Outbox outbox = context.getBean(Outbox.class);
		TransactionTemplate transactions = context.getBean(TransactionTemplate.class);
		Span span = tracer.nextSpan().name("place-order").start();
		try (Tracer.SpanInScope scope = tracer.withSpan(span)) {
			transactions.executeWithoutResult((status) -> outbox.publish(OutboxEvent.of(destination, "o-1", "placed")));
		}
		finally {
			span.end();
		}
		return span;
	}

	@Test
	void eventsRecordedOutsideASpanCarryNoTraceContext() {
		this.runner.run((context) -> {
			OutboxHeaderContributor contributor = context.getBean(OutboxHeaderContributor.class);
			assertThat(contributor.headers(OutboxEvent.of("orders", "o-1", "placed"))).isEmpty();
		});
	}

	@Test
	void backsOffWithoutMicrometerTracing() {
		this.runner.withClassLoader(new FilteredClassLoader(RabbitTemplate.class, Tracer.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(OutboxHeaderContributor.class));
	}

	@Test
	void canBeDisabled() {
		this.runner.withPropertyValues("outbox.tracing.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(OutboxHeaderContributor.class));
	}

	record Received(@Nullable String traceId, @Nullable String spanId, @Nullable String traceparent) {
	}

	@Configuration(proxyBeanMethods = false)
	static class ListenerConfiguration {

		final BlockingQueue<Received> received = new LinkedBlockingQueue<>();

		@Bean
		TracedListener tracedListener(Tracer tracer) {
			return new TracedListener(tracer, this.received);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class RabbitListenerConfiguration {

		final BlockingQueue<Received> received = new LinkedBlockingQueue<>();

		@Bean
		Declarables tracingTopology(@Value("${test.exchange}") String exchange) {
			TopicExchange topic = new TopicExchange(exchange, false, true);
			Queue queue = new Queue(exchange + ".queue", false, false, true);
			return new Declarables(topic, queue, BindingBuilder.bind(queue).to(topic).with("#"));
		}

		@Bean
		TracedRabbitListener tracedRabbitListener(Tracer tracer) {
			return new TracedRabbitListener(tracer, this.received);
		}

	}

	static class TracedRabbitListener {

		private final Tracer tracer;

		private final BlockingQueue<Received> received;

		TracedRabbitListener(Tracer tracer, BlockingQueue<Received> received) {
			this.tracer = tracer;
			this.received = received;
		}

		@RabbitListener(queues = "${test.exchange}.queue")
		void onMessage(Message message) {
			Span span = this.tracer.currentSpan();
			Object traceparent = message.getMessageProperties().getHeader("traceparent");
			this.received.add(new Received((span != null) ? span.context().traceId() : null,
					(span != null) ? span.context().spanId() : null,
					(traceparent != null) ? traceparent.toString() : null));
		}

	}

	static class TracedListener {

		private final Tracer tracer;

		private final BlockingQueue<Received> received;

		TracedListener(Tracer tracer, BlockingQueue<Received> received) {
			this.tracer = tracer;
			this.received = received;
		}

		@KafkaListener(topics = "${test.topic}", groupId = "tracing-test")
		void onMessage(ConsumerRecord<String, String> record) {
			Span span = this.tracer.currentSpan();
			Header traceparent = record.headers().lastHeader("traceparent");
			this.received.add(new Received((span != null) ? span.context().traceId() : null,
					(span != null) ? span.context().spanId() : null,
					(traceparent != null) ? new String(traceparent.value(), StandardCharsets.UTF_8) : null));
		}

	}

}
