package dev.outbox.autoconfigure.kafka;

import java.net.URI;
import java.util.Map;

import dev.outbox.OutboxException;
import dev.outbox.autoconfigure.relay.OutboxRelayProperties;
import dev.outbox.kafka.KafkaOutboxSender;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The relay's producer settings.
 */
class OutboxKafkaAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, OutboxKafkaAutoConfiguration.class));

	@Test
	void senderSendsTheOutboxFormatByDefault() {
		this.runner
			.run((context) -> assertThat(context.getBean(KafkaOutboxSender.class)).extracting("cloudEvents").isNull());
	}

	@Test
	void senderSendsCloudEventsFromTheApplicationNameWhenAsked() {
		this.runner.withPropertyValues("outbox.message-format=cloudevents", "spring.application.name=order service")
			.run((context) -> assertThat(context.getBean(KafkaOutboxSender.class)).extracting("cloudEvents.source")
				.isEqualTo(URI.create("urn:outbox:order%20service")));
	}

	@Test
	void cloudEventsSourceCanBeSet() {
		this.runner.withPropertyValues("outbox.message-format=CloudEvents", "outbox.cloudevents.source=/orders")
			.run((context) -> assertThat(context.getBean(KafkaOutboxSender.class)).extracting("cloudEvents.source")
				.isEqualTo(URI.create("/orders")));
	}

	@Test
	void unknownMessageFormatFailsStartUpNamingTheProperty() {
		this.runner.withPropertyValues("outbox.message-format=avro")
			.run((context) -> assertThat(context.getStartupFailure())
				.hasStackTraceContaining("Failed to bind properties under 'outbox.message-format'"));
	}

	@Test
	void cloudEventsWithoutTheSdkFailsStartUpNamingTheDependency() {
		this.runner.withPropertyValues("outbox.message-format=cloudevents")
			.withClassLoader(new FilteredClassLoader("io.cloudevents."))
			.run((context) -> assertThat(context).getFailure()
				.rootCause()
				.isInstanceOf(OutboxException.class)
				.hasMessageContaining("outbox.message-format=cloudevents")
				.hasMessageContaining("io.cloudevents:cloudevents-kafka"));
	}

	@Test
	void producerUsesAcksAllAndIdempotenceWhateverTheApplicationProducerUses() {
		KafkaProperties kafka = new KafkaProperties();
		kafka.getProducer().setAcks("1");
		kafka.getProducer().setTransactionIdPrefix("tx-");
		Map<String, Object> config = OutboxKafkaAutoConfiguration.producerProperties(kafka,
				new OutboxRelayProperties());
		assertThat(config).containsEntry("acks", "all")
			.containsEntry("enable.idempotence", true)
			.containsEntry("delivery.timeout.ms", 10000)
			.doesNotContainKey("transactional.id");
	}

	@Test
	void outboxProducerPropertiesApplyOverTheApplicationOnes() {
		OutboxRelayProperties relay = new OutboxRelayProperties();
		relay.getKafka().getProducer().put("linger.ms", "20");
		assertThat(OutboxKafkaAutoConfiguration.producerProperties(new KafkaProperties(), relay))
			.containsEntry("linger.ms", "20");
	}

	@Test
	void refusesIdempotenceDisabledForTheOutboxProducer() {
		OutboxRelayProperties relay = new OutboxRelayProperties();
		relay.getKafka().getProducer().put("enable.idempotence", "false");
		assertThatExceptionOfType(OutboxException.class)
			.isThrownBy(() -> OutboxKafkaAutoConfiguration.producerProperties(new KafkaProperties(), relay))
			.withMessageContaining("outbox.relay.kafka.producer.enable.idempotence=false");
	}

}
