package dev.outbox.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;

import io.namastack.outbox.Outbox;
import io.namastack.outbox.OutboxProcessingScheduler;
import io.namastack.outbox.handler.OutboxHandler;
import io.namastack.outbox.handler.OutboxRecordMetadata;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.persistence.autoconfigure.EntityScan;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * Namastack Outbox (JDBC starter): {@code Outbox.schedule(event, key)} in the
 * transaction, its scheduler polls the records of its partitions and hands each key's
 * records in order to a handler that sends them to Kafka.
 * <p>
 * Settings: those of Namastack's own performance test (its
 * {@code namastack-outbox-performance-test-processor} application): fixed polling every
 * second, 1,200 keys per poll, 16–32 processing threads, completed records deleted, stop
 * on a key's first failure. Its Kafka module ({@code namastack-outbox-kafka}) is not on
 * Maven Central, so the handler is the benchmark's: it sends each record through Boot's
 * {@code KafkaTemplate} with JSON values and waits for the acknowledgement, as that
 * module does. Delivery is paused by stopping the scheduler (a {@code SmartLifecycle}).
 */
final class NamastackPeer extends SpringPeer {

	static final String ID = "namastack";

	static final String TOPIC = "compare-namastack";

	/**
	 * Its jars carry no version in their manifests: keep in step with
	 * {@code namastack-outbox.version} in the module's pom.
	 */
	static final String VERSION = "1.6.0";

	private final Outbox outbox;

	private final OutboxProcessingScheduler scheduler;

	NamastackPeer() {
		super(ID, "Namastack Outbox " + VERSION, Application.class, properties());
		this.outbox = this.context.getBean(Outbox.class);
		this.scheduler = this.context.getBean(OutboxProcessingScheduler.class);
	}

	private static Map<String, String> properties() {
		Map<String, String> properties = new LinkedHashMap<>(oneAtATimeProducer());
		properties.put("spring.kafka.producer.value-serializer",
				"org.springframework.kafka.support.serializer.JacksonJsonSerializer");
		properties.put("namastack.outbox.polling.trigger", "fixed");
		properties.put("namastack.outbox.polling.fixed.interval", "1s");
		properties.put("namastack.outbox.polling.batch-size", "1200");
		properties.put("namastack.outbox.processing.stop-on-first-failure", "true");
		properties.put("namastack.outbox.processing.delete-completed-records", "true");
		properties.put("namastack.outbox.processing.executor-core-pool-size", "16");
		properties.put("namastack.outbox.processing.executor-max-pool-size", "32");
		properties.put("namastack.outbox.multicaster.publish-after-save", "false");
		properties.put("spring.autoconfigure.exclude",
				PeerAutoConfigurations.OUTBOX + "," + PeerAutoConfigurations.MODULITH);
		return properties;
	}

	@Override
	public String topic() {
		return TOPIC;
	}

	@Override
	public void publish(ComparedEvent event) {
		this.outbox.schedule(event, event.key());
	}

	@Override
	public long undelivered() {
		Map<String, @Nullable Object> counts = this.jdbc
			.queryForMap("select count(*) filter (where status = 'NEW') as pending, "
					+ "count(*) filter (where status = 'FAILED') as failed from outbox_record");
		long failed = count(counts, "failed");
		if (failed > 0) {
			throw new IllegalStateException("Namastack Outbox: " + failed + " records failed");
		}
		return count(counts, "pending");
	}

	@Override
	public void pauseDelivery() {
		this.scheduler.stop();
	}

	@Override
	public void resumeDelivery() {
		this.scheduler.start();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@EntityScan(basePackageClasses = BenchmarkOrder.class)
	static class Application {

		@Bean
		KafkaHandler kafkaHandler(KafkaTemplate<Object, Object> kafka) {
			return new KafkaHandler(kafka);
		}

	}

	/**
	 * Sends each record to the topic, keyed by the record's key, and waits for the
	 * broker's acknowledgement; a failure is thrown for Namastack to retry.
	 */
	static final class KafkaHandler implements OutboxHandler {

		private final KafkaTemplate<Object, Object> kafka;

		KafkaHandler(KafkaTemplate<Object, Object> kafka) {
			this.kafka = kafka;
		}

		@Override
		public boolean supports(Object payload, OutboxRecordMetadata metadata) {
			return payload instanceof ComparedEvent;
		}

		@Override
		public void handle(Object payload, OutboxRecordMetadata metadata) {
			try {
				this.kafka.send(TOPIC, metadata.getKey(), payload).get();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException("Interrupted while sending to Kafka", ex);
			}
			catch (ExecutionException ex) {
				throw new IllegalStateException("Kafka did not acknowledge record " + metadata.getKey(), ex.getCause());
			}
		}

	}

}
