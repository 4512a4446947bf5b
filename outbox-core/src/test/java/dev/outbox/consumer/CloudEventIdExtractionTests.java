package dev.outbox.consumer;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import dev.outbox.OutboxHeaders;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.MessageBuilder;
import org.springframework.core.MethodParameter;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.support.GenericMessage;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The message-id extractors take a CloudEvent's id when the outbox header is absent.
 */
class CloudEventIdExtractionTests {

	private static final String HEADER = OutboxHeaders.MESSAGE_ID;

	private final MethodParameter parameter = parameter("listen", 0);

	@Test
	void kafkaRecordWithoutOutboxHeaderGivesItsCeId() {
		ConsumerRecord<String, String> record = new ConsumerRecord<>("t", 0, 0, "k", "v");
		record.headers().add("ce_id", bytes("ce-1"));
		assertThat(new KafkaRecordMessageIdExtractor(HEADER).extract(this.parameter, record)).isEqualTo("ce-1");
	}

	@Test
	void kafkaRecordPrefersTheOutboxHeader() {
		ConsumerRecord<String, String> record = new ConsumerRecord<>("t", 0, 0, "k", "v");
		record.headers().add("ce_id", bytes("ce-1"));
		record.headers().add(HEADER, bytes("outbox-1"));
		assertThat(new KafkaRecordMessageIdExtractor(HEADER).extract(this.parameter, record)).isEqualTo("outbox-1");
	}

	@Test
	void amqpMessageGivesItsCloudEventsIdWithEitherSeparatorBeforeTheMessageIdProperty() {
		AmqpMessageIdExtractor extractor = new AmqpMessageIdExtractor(HEADER);
		assertThat(extractor.extract(this.parameter,
				MessageBuilder.withBody(bytes("v")).setHeader("cloudEvents_id", "ce-2").setMessageId("amqp-2").build()))
			.isEqualTo("ce-2");
		assertThat(extractor.extract(this.parameter,
				MessageBuilder.withBody(bytes("v")).setHeader("cloudEvents:id", "ce-3").build()))
			.isEqualTo("ce-3");
	}

	@Test
	void springMessageGivesItsCloudEventId() {
		MessagingMessageIdExtractor extractor = new MessagingMessageIdExtractor(HEADER);
		assertThat(extractor.extract(this.parameter, new GenericMessage<>("v", Map.of("ce_id", bytes("ce-4")))))
			.isEqualTo("ce-4");
		assertThat(extractor.extract(this.parameter,
				new GenericMessage<>("v", Map.of("cloudEvents_id", "ce-5", HeaderValues.AMQP_MESSAGE_ID, "amqp-5"))))
			.isEqualTo("ce-5");
	}

	@Test
	void headerParameterNamingACloudEventIdIsSupported() {
		HeaderParameterMessageIdExtractor extractor = new HeaderParameterMessageIdExtractor(HEADER);
		assertThat(extractor.supports(parameter("ceId", 0))).isTrue();
		assertThat(extractor.supports(parameter("cloudEventsId", 0))).isTrue();
	}

	private static MethodParameter parameter(String name, int index) {
		for (Method method : Listener.class.getDeclaredMethods()) {
			if (method.getName().equals(name)) {
				return new MethodParameter(method, index);
			}
		}
		throw new IllegalArgumentException(name);
	}

	private static byte[] bytes(String value) {
		return value.getBytes(StandardCharsets.UTF_8);
	}

	@SuppressWarnings("unused")
	private static final class Listener {

		void listen(Object message) {
		}

		void ceId(@Header("ce_id") String id) {
		}

		void cloudEventsId(@Header("cloudEvents_id") String id) {
		}

	}

}
