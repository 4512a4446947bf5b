package dev.outbox.autoconfigure.kafka;

import java.net.URI;
import java.util.Map;

import dev.outbox.OutboxException;
import dev.outbox.autoconfigure.relay.OutboxRelayProperties;
import dev.outbox.kafka.KafkaOutboxSender;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The relay's producer settings.
 */
@ExtendWith(OutputCaptureExtension.class)
class OutboxKafkaAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class, OutboxKafkaAutoConfiguration.class));

	@Test
	void warnsAtStartUpWhenAcceptedEventsMayNotFitInARecord(CapturedOutput output) {
		this.runner.withPropertyValues("outbox.max-payload-size=1MB").run((context) -> {
			assertThat(context).hasNotFailed().hasSingleBean(KafkaOutboxSender.class);
			assertThat(output).contains("outbox.max-payload-size (1048576 bytes)")
				.contains("max.request.size (1048576 bytes)")
				.contains("Lower outbox.max-payload-size to at most 983040 bytes")
				.contains("outbox.relay.kafka.producer.max.request.size");
		});
	}

	@Test
	void warnsWhenTheProducersRecordLimitIsLoweredUnderTheDefaultEventLimit(CapturedOutput output) {
		this.runner.withPropertyValues("outbox.relay.kafka.producer.max.request.size=500000")
			.run((context) -> assertThat(output).contains("outbox.max-payload-size (983040 bytes)")
				.contains("max.request.size (500000 bytes)"));
	}

	@Test
	void defaultLimitsFitKafkasDefaultRecordLimitWithoutWarning(CapturedOutput output) {
		this.runner.run((context) -> assertThat(context).hasNotFailed());
		this.runner
			.withPropertyValues("outbox.max-payload-size=1MB", "outbox.relay.kafka.producer.max.request.size=2097152")
			.run((context) -> assertThat(context).hasNotFailed());
		assertThat(output).doesNotContain("outbox.max-payload-size");
	}

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
