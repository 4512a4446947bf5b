package dev.outbox.consumer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import dev.outbox.OutboxHeaders;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.MessageProperties;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.core.MethodParameter;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.support.MessageBuilder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@link IdempotentListener} methods proxied with {@link IdempotentListenerAdvisor},
 * against a real PostgreSQL.
 */
class IdempotentListenerAdvisorIntegrationTests {

	private static ConsumerTestDatabase db;

	private static IdempotentConsumer consumer;

	private final Listeners target = new Listeners();

	private Listeners listeners;

	@BeforeAll
	static void createDatabase() {
		db = new ConsumerTestDatabase();
		consumer = IdempotentConsumer.builder(db.dataSource, db.transactionManager).tables(db.tables).build();
	}

	@AfterAll
	static void dropDatabase() {
		db.close();
	}

	@BeforeEach
	void setUp() {
		db.jdbc.update("delete from effect");
		db.jdbc.update("delete from " + db.tables.qualifiedProcessedTable());
		this.listeners = proxy(this.target);
	}

	@SuppressWarnings("unchecked")
	private static <T> T proxy(T target) {
		ProxyFactory factory = new ProxyFactory(target);
		factory.setProxyTargetClass(true);
		factory.addAdvisor(new IdempotentListenerAdvisor(() -> consumer, () -> List.of(new CustomEventExtractor()),
				OutboxHeaders.MESSAGE_ID));
		return (T) factory.getProxy();
	}

	@Test
	void kafkaRecordDuplicateIsSkipped() {
		String id = UUID.randomUUID().toString();
		ConsumerRecord<String, String> record = new ConsumerRecord<>("orders", 0, 0, "k", "v");
		record.headers().add(OutboxHeaders.MESSAGE_ID, id.getBytes(StandardCharsets.UTF_8));
		this.listeners.onRecord(record);
		this.listeners.onRecord(record);
		assertThat(this.target.calls).hasValue(1);
		assertThat(db.effects()).isEqualTo(1);
		assertThat(consumer.isProcessed("records", id)).isTrue();
	}

	@Test
	void amqpMessageIdFromHeaderOrMessageIdProperty() {
		MessageProperties withHeader = new MessageProperties();
		withHeader.setHeader(OutboxHeaders.MESSAGE_ID, "h-1");
		MessageProperties withProperty = new MessageProperties();
		withProperty.setMessageId("h-1");
		this.listeners.onAmqp(new org.springframework.amqp.core.Message(new byte[0], withHeader));
		this.listeners.onAmqp(new org.springframework.amqp.core.Message(new byte[0], withProperty));
		assertThat(this.target.calls).hasValue(1);
		assertThat(consumer.isProcessed("amqp", "h-1")).isTrue();
	}

	@Test
	void messagingMessageHeaderAsStringOrBytes() {
		this.listeners.onMessage(MessageBuilder.withPayload("p").setHeader(OutboxHeaders.MESSAGE_ID, "m-1").build());
		this.listeners.onMessage(MessageBuilder.withPayload("p")
			.setHeader(OutboxHeaders.MESSAGE_ID, "m-1".getBytes(StandardCharsets.UTF_8))
			.build());
		assertThat(this.target.calls).hasValue(1);
	}

	@Test
	void headerParameterAndReturnValue() {
		assertThat(this.listeners.onHeader("p", "x-1")).isEqualTo("handled p");
		assertThat(this.listeners.onHeader("p", "x-1")).isNull();
		assertThat(this.target.calls).hasValue(1);
	}

	@Test
	void customExtractorIsAsked() {
		this.listeners.onCustom(new CustomEvent("c-1"));
		this.listeners.onCustom(new CustomEvent("c-1"));
		assertThat(this.target.calls).hasValue(1);
		assertThat(consumer.isProcessed("custom", "c-1")).isTrue();
	}

	@Test
	void failingMethodRecordsNothingAndCheckedExceptionPassesThrough() {
		assertThatExceptionOfType(IOException.class).isThrownBy(() -> this.listeners.failing("f-1"));
		assertThat(db.effects()).isZero();
		assertThat(consumer.isProcessed("failing", "f-1")).isFalse();
	}

	@Test
	void missingIdIsRejected() {
		assertThatExceptionOfType(MissingMessageIdException.class)
			.isThrownBy(() -> this.listeners.onMessage(MessageBuilder.withPayload("p").build()));
		assertThat(this.target.calls).hasValue(0);
	}

	@Test
	void unannotatedMethodIsNotIntercepted() {
		this.listeners.plain();
		this.listeners.plain();
		assertThat(this.target.calls).hasValue(2);
		assertThat(db.processed()).isZero();
	}

	@Test
	void methodWithoutIdParameterFailsWithAClearMessage() {
		assertThatExceptionOfType(RuntimeException.class).isThrownBy(() -> proxy(new NoIdParameter()))
			.havingRootCause()
			.withMessageContaining("NoIdParameter.handle")
			.withMessageContaining("has no parameter that carries the message id")
			.withMessageContaining("MessageIdExtractor");
	}

	static class Listeners {

		final AtomicInteger calls = new AtomicInteger();

		@IdempotentListener("records")
		void onRecord(ConsumerRecord<String, String> record) {
			this.calls.incrementAndGet();
			db.recordEffect(record.key());
		}

		@IdempotentListener("amqp")
		void onAmqp(org.springframework.amqp.core.Message message) {
			this.calls.incrementAndGet();
		}

		@IdempotentListener("messaging")
		void onMessage(org.springframework.messaging.Message<String> message) {
			this.calls.incrementAndGet();
		}

		@IdempotentListener("header")
		@Nullable String onHeader(String payload, @Header(name = OutboxHeaders.MESSAGE_ID, required = false) String id) {
			this.calls.incrementAndGet();
			return "handled " + payload;
		}

		@IdempotentListener("custom")
		void onCustom(CustomEvent event) {
			this.calls.incrementAndGet();
		}

		@IdempotentListener("failing")
		void failing(@Header(OutboxHeaders.MESSAGE_ID) String id) throws IOException {
			db.recordEffect(id);
			throw new IOException("downstream failed");
		}

		void plain() {
			this.calls.incrementAndGet();
		}

	}

	static class NoIdParameter {

		@IdempotentListener("no-id")
		void handle(String payload) {
		}

	}

	record CustomEvent(String eventId) {
	}

	static class CustomEventExtractor implements MessageIdExtractor {

		@Override
		public boolean supports(MethodParameter parameter) {
			return parameter.getParameterType() == CustomEvent.class;
		}

		@Override
		public @Nullable String extract(MethodParameter parameter, @Nullable Object argument) {
			return (argument instanceof CustomEvent event) ? event.eventId() : null;
		}

	}

}
