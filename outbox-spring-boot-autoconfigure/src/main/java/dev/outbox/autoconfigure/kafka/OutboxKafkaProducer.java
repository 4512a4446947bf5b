package dev.outbox.autoconfigure.kafka;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * The relay's own Kafka producer (kept out of the context as a {@code ProducerFactory} so
 * that the application's Kafka auto-configuration is unaffected), closed on shutdown.
 */
final class OutboxKafkaProducer implements DisposableBean {

	private final DefaultKafkaProducerFactory<String, byte[]> producerFactory;

	private final KafkaTemplate<String, byte[]> template;

	OutboxKafkaProducer(DefaultKafkaProducerFactory<String, byte[]> producerFactory) {
		this.producerFactory = producerFactory;
		this.template = new KafkaTemplate<>(producerFactory);
	}

	KafkaTemplate<String, byte[]> template() {
		return this.template;
	}

	DefaultKafkaProducerFactory<String, byte[]> producerFactory() {
		return this.producerFactory;
	}

	@Override
	public void destroy() {
		this.producerFactory.destroy();
	}

}
