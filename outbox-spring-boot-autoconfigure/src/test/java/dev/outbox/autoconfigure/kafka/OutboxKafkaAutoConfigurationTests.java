package dev.outbox.autoconfigure.kafka;

import java.util.Map;

import dev.outbox.OutboxException;
import dev.outbox.autoconfigure.relay.OutboxRelayProperties;
import org.junit.jupiter.api.Test;

import org.springframework.boot.kafka.autoconfigure.KafkaProperties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The relay's producer settings.
 */
class OutboxKafkaAutoConfigurationTests {

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
