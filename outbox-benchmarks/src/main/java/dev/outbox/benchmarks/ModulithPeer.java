package dev.outbox.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.persistence.autoconfigure.EntityScan;
import org.springframework.context.annotation.Bean;
import org.springframework.modulith.events.core.EventSerializer;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

/**
 * Spring Modulith: {@code ApplicationEventPublisher.publishEvent} of an
 * {@code @Externalized} event in the transaction, the event publication registry (JDBC)
 * stores it, and its Kafka externalization sends it from an asynchronous listener after
 * the commit through Boot's {@code KafkaTemplate}.
 * <p>
 * Settings: Modulith's defaults (externalization from a module listener on Boot's
 * application task executor, 8 threads), completed publications deleted
 * ({@code spring.modulith.events.completion-mode=delete}, as the other peers delete
 * theirs), producer without linger. Delivery is paused by holding the executor's tasks
 * back (a {@link DeliveryGate}); the registry still writes its row in the transaction.
 */
final class ModulithPeer extends SpringPeer {

	static final String ID = "modulith";

	static final String TOPIC = "compare-modulith";

	private final DeliveryGate gate;

	ModulithPeer() {
		super(ID, "Spring Modulith " + version(EventSerializer.class), Application.class, properties());
		this.gate = this.context.getBean(DeliveryGate.class);
	}

	private static Map<String, String> properties() {
		Map<String, String> properties = new LinkedHashMap<>(oneAtATimeProducer());
		properties.put("spring.modulith.events.jdbc.schema-initialization.enabled", "true");
		properties.put("spring.modulith.events.completion-mode", "delete");
		properties.put("spring.autoconfigure.exclude",
				PeerAutoConfigurations.OUTBOX + "," + PeerAutoConfigurations.NAMASTACK);
		return properties;
	}

	static String version(Class<?> type) {
		String version = type.getPackage().getImplementationVersion();
		return (version != null) ? version : "?";
	}

	@Override
	public String topic() {
		return TOPIC;
	}

	@Override
	public void publish(ComparedEvent event) {
		this.context.publishEvent(event);
	}

	@Override
	public long undelivered() {
		Map<String, @Nullable Object> counts = this.jdbc.queryForMap("select count(*) as incomplete, "
				+ "count(*) filter (where status = 'FAILED') as failed from event_publication where completion_date is null");
		long failed = count(counts, "failed");
		if (failed > 0) {
			throw new IllegalStateException("Spring Modulith: " + failed + " event publications failed");
		}
		return count(counts, "incomplete");
	}

	@Override
	public void pauseDelivery() {
		this.gate.close();
	}

	@Override
	public void resumeDelivery() {
		this.gate.open();
	}

	@Override
	public void close() {
		this.gate.open();
		super.close();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@EntityScan(basePackageClasses = BenchmarkOrder.class)
	static class Application {

		@Bean
		DeliveryGate deliveryGate() {
			return new DeliveryGate();
		}

		/**
		 * Boot's application task executor as it configures it by default (8 threads, an
		 * unbounded queue), whose tasks wait while delivery is paused.
		 */
		@Bean(name = { "applicationTaskExecutor", "taskExecutor" })
		ThreadPoolTaskExecutor applicationTaskExecutor(DeliveryGate gate) {
			ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
			executor.setCorePoolSize(8);
			executor.setThreadNamePrefix("task-");
			executor.setTaskDecorator(gate::decorate);
			return executor;
		}

	}

}
