package dev.outbox.benchmarks;

/**
 * The auto-configurations of each library that {@code compare} runs, all on the
 * benchmarks' class path: each peer's application excludes the others', and the other
 * benchmarks exclude those of the peers.
 */
final class PeerAutoConfigurations {

	static final String OUTBOX = String.join(",", "dev.outbox.autoconfigure.consumer.OutboxConsumerAutoConfiguration",
			"dev.outbox.autoconfigure.kafka.OutboxKafkaAutoConfiguration",
			"dev.outbox.autoconfigure.amqp.OutboxAmqpAutoConfiguration",
			"dev.outbox.autoconfigure.relay.OutboxRelayAutoConfiguration",
			"dev.outbox.autoconfigure.jdbc.OutboxJdbcAutoConfiguration",
			"dev.outbox.autoconfigure.admin.OutboxAdminAutoConfiguration",
			"dev.outbox.autoconfigure.metrics.OutboxMetricsAutoConfiguration",
			"dev.outbox.autoconfigure.actuate.OutboxHealthContributorAutoConfiguration",
			"dev.outbox.autoconfigure.actuate.OutboxEndpointAutoConfiguration",
			"dev.outbox.autoconfigure.tracing.OutboxTracingAutoConfiguration");

	static final String MODULITH = String.join(",",
			"org.springframework.modulith.events.config.EventPublicationAutoConfiguration",
			"org.springframework.modulith.events.config.EventExternalizationAutoConfiguration",
			"org.springframework.modulith.events.jackson.JacksonEventSerializationConfiguration",
			"org.springframework.modulith.events.jackson2.Jackson2EventSerializationConfiguration",
			"org.springframework.modulith.events.jdbc.JdbcEventPublicationAutoConfiguration",
			"org.springframework.modulith.events.kafka.KafkaEventExternalizerConfiguration",
			"org.springframework.modulith.events.kafka.KafkaJacksonConfiguration",
			"org.springframework.modulith.events.kafka.KafkaJackson2Configuration");

	static final String NAMASTACK = String.join(",",
			"io.namastack.outbox.config.OutboxCoreInfrastructureAutoConfiguration",
			"io.namastack.outbox.config.OutboxCoreThreadingAutoConfiguration",
			"io.namastack.outbox.config.OutboxCoreProcessingAutoConfiguration",
			"io.namastack.outbox.config.OutboxCoreSchedulingAutoConfiguration",
			"io.namastack.outbox.config.OutboxCoreMulticasterAutoConfiguration",
			"io.namastack.outbox.OutboxJacksonAutoConfiguration",
			"io.namastack.outbox.config.JdbcOutboxAutoConfiguration",
			"io.namastack.outbox.config.JdbcOutboxSchemaAutoConfiguration");

	/**
	 * Those of the peers, for the benchmarks of the outbox alone.
	 */
	static final String PEERS = MODULITH + "," + NAMASTACK;

	private PeerAutoConfigurations() {
	}

}
