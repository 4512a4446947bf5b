package dev.outbox.autoconfigure.kafka;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.ProducerListener;

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
		// the relay reports failed sends itself (a WARN per 30 s, DEBUG per event),
		// instead of Spring Kafka's ERROR line per failed record, which floods the log in
		// an outage
		this.template.setProducerListener(new ProducerListener<>() {
		});
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
