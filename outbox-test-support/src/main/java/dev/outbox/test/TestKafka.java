package dev.outbox.test;

import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * The Kafka broker the integration tests run against: a real broker started in-process in
 * KRaft mode once per JVM, or an external one named by
 * {@code OUTBOX_TEST_KAFKA_BOOTSTRAP}.
 */
public final class TestKafka {

	private static @Nullable String bootstrapServers;

	private TestKafka() {
	}

	/**
	 * Bootstrap servers of the broker, started on first use.
	 * @return the {@code host:port} list to connect to
	 */
	public static synchronized String bootstrapServers() {
		TestPhase.requireServicesAllowed("Kafka");
		if (bootstrapServers == null) {
			String external = System.getenv("OUTBOX_TEST_KAFKA_BOOTSTRAP");
			if (external != null && !external.isBlank()) {
				bootstrapServers = external;
			}
			else {
				EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 4);
				broker.brokerProperties(Map.of("auto.create.topics.enable", "true", "num.partitions", "4",
						"transaction.state.log.replication.factor", "1", "transaction.state.log.min.isr", "1"));
				broker.afterPropertiesSet();
				Runtime.getRuntime().addShutdownHook(new Thread(broker::destroy, "embedded-kafka-shutdown"));
				bootstrapServers = broker.getBrokersAsString();
			}
		}
		return bootstrapServers;
	}

	/**
	 * Spring Boot property that points {@code spring.kafka.bootstrap-servers} at the
	 * broker.
	 * @return {@code name=value}
	 */
	public static String propertyValue() {
		return "spring.kafka.bootstrap-servers=" + bootstrapServers();
	}

}
