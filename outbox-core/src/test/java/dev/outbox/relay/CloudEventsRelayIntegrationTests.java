package dev.outbox.relay;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.outbox.MessageFormat;
import dev.outbox.OutboxHeaders;
import dev.outbox.amqp.RabbitOutboxSender;
import dev.outbox.kafka.KafkaOutboxSender;
import dev.outbox.test.TestKafka;
import dev.outbox.test.TestRabbit;
import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.cloudevents.kafka.KafkaMessageFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.kafka.core.KafkaTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The relay sending {@link MessageFormat#CLOUDEVENTS} to real Kafka and RabbitMQ, read
 * back with the CloudEvents SDK (Kafka) and as the AMQP binding's properties (RabbitMQ),
 * on every database.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
class CloudEventsRelayIntegrationTests {

	private static final URI SOURCE = URI.create("urn:example:orders");

	@Parameter
	String product;

	private RelayFixture fixture;

	private final List<AutoCloseable> closeables = new ArrayList<>();

	private final List<OutboxRelay> relays = new ArrayList<>();

	@BeforeEach
	void setUp() {
		this.fixture = new RelayFixture(this.product);
	}

	@AfterEach
	void tearDown() throws Exception {
		if (this.fixture == null) {
			return; // skipped before the fixture: a server this machine does not have
		}
		this.relays.forEach(OutboxRelay::stop);
		for (int i = this.closeables.size() - 1; i >= 0; i--) {
			this.closeables.get(i).close();
		}
		this.fixture.close();
	}

	private void started(OutboxRelay.Builder builder) {
		OutboxRelay relay = builder.build();
		this.relays.add(relay);
		relay.start();
	}

	@Test
	void kafkaRecordIsACloudEventInBinaryModeThatTheSdkReads() {
		ConsumerRecord<String, byte[]> record = relayToKafka(MessageFormat.CLOUDEVENTS);
		UUID id = UUID.fromString(KafkaTestClient.header(record, OutboxHeaders.MESSAGE_ID));
		Instant createdAt = Instant.parse(KafkaTestClient.header(record, OutboxHeaders.CREATED_AT));

		CloudEvent event = KafkaMessageFactory.createReader(record).toEvent();
		assertThat(event.getSpecVersion()).isEqualTo(SpecVersion.V1);
		assertThat(event.getId()).isEqualTo(id.toString());
		assertThat(event.getType()).isEqualTo("order-placed");
		assertThat(event.getSource()).isEqualTo(SOURCE);
		assertThat(event.getSubject()).isEqualTo("order-1");
		assertThat(event.getTime()).isEqualTo(createdAt.atOffset(ZoneOffset.UTC));
		assertThat(event.getDataContentType()).isEqualTo("application/json");
		assertThat(new String(event.getData().toBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"total\":42}");
		try (CloudEventDeserializer deserializer = new CloudEventDeserializer()) {
			CloudEvent deserialized = deserializer.deserialize(record.topic(), record.headers(), record.value());
			assertThat(deserialized).isEqualTo(event);
		}
		// the record key stays the message key; the outbox headers stay too
		assertThat(record.key()).isEqualTo("order-1");
		assertThat(KafkaTestClient.header(record, "ce_specversion")).isEqualTo("1.0");
		assertThat(KafkaTestClient.header(record, "ce_time")).endsWith("Z");
		assertThat(KafkaTestClient.header(record, "content-type")).isEqualTo("application/json");
		assertThat(KafkaTestClient.header(record, OutboxHeaders.EVENT_TYPE)).isEqualTo("order-placed");
		assertThat(KafkaTestClient.header(record, OutboxHeaders.TRACEPARENT)).startsWith("00-");
	}

	@Test
	void kafkaRecordOfTheOutboxFormatHasNoCloudEventsHeaders() {
		ConsumerRecord<String, byte[]> record = relayToKafka(MessageFormat.OUTBOX);
		assertThat(record.headers().toArray()).extracting((header) -> header.key())
			.contains(OutboxHeaders.MESSAGE_ID)
			.noneMatch((key) -> key.startsWith("ce_"))
			.doesNotContain("content-type");
	}

	private ConsumerRecord<String, byte[]> relayToKafka(MessageFormat format) {
		String topic = "cloudevents-" + UUID.randomUUID();
		KafkaTemplate<String, byte[]> template = KafkaTestClient.template(TestKafka.bootstrapServers(),
				Duration.ofSeconds(5));
		this.closeables.add(() -> template.getProducerFactory().reset());
		KafkaTestClient client = new KafkaTestClient(TestKafka.bootstrapServers(), topic);
		this.closeables.add(client);
		started(this.fixture.relay().sender(new KafkaOutboxSender(template, format, SOURCE)));
		UUID id = this.fixture.insert(topic, "order-1", "{\"total\":42}");
		List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
		await().atMost(Duration.ofSeconds(30)).until(() -> {
			records.clear();
			records.addAll(client.poll());
			return !records.isEmpty();
		});
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.status(id).equals("DELETED"));
		return records.get(0);
	}

	@Test
	void rabbitMessageCarriesTheAmqpBindingsPropertiesAndContentType() {
		TestRabbit.Broker broker = TestRabbit.broker();
		CachingConnectionFactory adminConnections = connections(broker);
		RabbitAdmin admin = new RabbitAdmin(adminConnections);
		String exchange = "cloudevents-x-" + UUID.randomUUID();
		Queue queue = new Queue("cloudevents-q-" + UUID.randomUUID(), false, false, true);
		admin.declareExchange(new DirectExchange(exchange, false, true));
		admin.declareQueue(queue);
		this.closeables.add(() -> admin.deleteExchange(exchange));
		this.closeables.add(() -> admin.deleteQueue(queue.getName()));
		admin.declareBinding(BindingBuilder.bind(queue).to(new DirectExchange(exchange)).with("order-placed"));
		CachingConnectionFactory senderConnections = connections(broker);
		senderConnections.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
		senderConnections.setPublisherReturns(true);
		started(this.fixture.relay()
			.sender(new RabbitOutboxSender(new RabbitTemplate(senderConnections), MessageFormat.CLOUDEVENTS, SOURCE)));

		UUID id = this.fixture.insert(exchange, "order-7", "{\"total\":7}");
		RabbitTemplate receiver = new RabbitTemplate(adminConnections);
		Message message = await().atMost(Duration.ofSeconds(30))
			.until(() -> receiver.receive(queue.getName()), (received) -> received != null);

		Map<String, Object> headers = message.getMessageProperties().getHeaders();
		Instant createdAt = Instant.parse((String) headers.get(OutboxHeaders.CREATED_AT));
		assertThat(message.getMessageProperties().getContentType()).isEqualTo("application/json");
		assertThat(headers).containsEntry("cloudEvents_specversion", "1.0")
			.containsEntry("cloudEvents_id", id.toString())
			.containsEntry("cloudEvents_type", "order-placed")
			.containsEntry("cloudEvents_source", SOURCE.toString())
			.containsEntry("cloudEvents_subject", "order-7")
			.containsEntry(OutboxHeaders.MESSAGE_ID, id.toString())
			.doesNotContainKey("cloudEvents_datacontenttype");
		// RFC 3339
		assertThat(OffsetDateTime.parse((String) headers.get("cloudEvents_time")).toInstant()).isEqualTo(createdAt);
		assertThat(new String(message.getBody(), StandardCharsets.UTF_8)).isEqualTo("{\"total\":7}");
	}

	private CachingConnectionFactory connections(TestRabbit.Broker broker) {
		CachingConnectionFactory connectionFactory = new CachingConnectionFactory(broker.host(), broker.port());
		connectionFactory.setUsername(broker.username());
		connectionFactory.setPassword(broker.password());
		this.closeables.add(connectionFactory::destroy);
		return connectionFactory;
	}

}
