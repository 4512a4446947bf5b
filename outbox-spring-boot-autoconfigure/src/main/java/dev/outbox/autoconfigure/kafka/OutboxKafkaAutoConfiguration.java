package dev.outbox.autoconfigure.kafka;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import dev.outbox.MessageFormat;
import dev.outbox.OutboxException;
import dev.outbox.autoconfigure.jdbc.OutboxProperties;
import dev.outbox.autoconfigure.relay.OutboxRelayAutoConfiguration;
import dev.outbox.autoconfigure.relay.OutboxRelayProperties;
import dev.outbox.jdbc.JdbcOutbox;
import dev.outbox.kafka.KafkaOutboxSender;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.util.ClassUtils;
import org.springframework.util.unit.DataSize;

/**
 * Auto-configuration of the relay's {@link KafkaOutboxSender}: a dedicated producer built
 * from {@code spring.kafka.*} (bootstrap servers, security, client settings) and
 * {@code outbox.relay.kafka.producer.*}, with {@code acks=all} and idempotence enforced
 * whatever the application's own producer uses. The sender writes the
 * {@code outbox.message-format}: with {@code cloudevents}, CloudEvents through the
 * CloudEvents SDK for Kafka, which must then be on the classpath.
 */
@AutoConfiguration(after = KafkaAutoConfiguration.class, before = OutboxRelayAutoConfiguration.class)
@ConditionalOnClass({ KafkaTemplate.class, KafkaOutboxSender.class, KafkaProperties.class })
@ConditionalOnBooleanProperty(name = "outbox.relay.enabled", matchIfMissing = true)
@EnableConfigurationProperties({ OutboxRelayProperties.class, OutboxProperties.class })
public final class OutboxKafkaAutoConfiguration {

	private static final Set<String> ACKS_ALL = Set.of("all", "-1");

	/**
	 * Room a record needs beyond the event's payload and headers: the key and the relay's
	 * own headers (at most about 5 KiB) and the record batch's framing; what
	 * {@link JdbcOutbox#DEFAULT_MAX_PAYLOAD_SIZE} leaves under Kafka's default
	 * {@code max.request.size}.
	 */
	static final int RECORD_OVERHEAD = 64 * 1024;

	/** The producer's default {@code max.request.size}. */
	private static final int KAFKA_DEFAULT_MAX_REQUEST_SIZE = 1024 * 1024;

	private static final Log logger = LogFactory.getLog(OutboxKafkaAutoConfiguration.class);

	private static final String CLOUDEVENTS_KAFKA = "io.cloudevents.kafka.KafkaMessageFactory";

	@Bean
	@ConditionalOnMissingBean
	OutboxKafkaProducer outboxKafkaProducer(ObjectProvider<KafkaProperties> kafkaProperties,
			OutboxRelayProperties properties, Environment environment) {
		Map<String, Object> config = producerProperties(kafkaProperties.getIfAvailable(KafkaProperties::new),
				properties);
		warnIfEventsMayExceedTheRecordLimit(environment, config);
		return new OutboxKafkaProducer(new DefaultKafkaProducerFactory<>(config));
	}

	/**
	 * An event the writer accepts must fit in a record the producer sends, or it is
	 * parked after its attempts and blocks its key.
	 */
	private static void warnIfEventsMayExceedTheRecordLimit(Environment environment, Map<String, Object> config) {
		long maxEventSize = Binder.get(environment)
			.bind("outbox.max-payload-size", DataSize.class)
			.map(DataSize::toBytes)
			.orElse((long) JdbcOutbox.DEFAULT_MAX_PAYLOAD_SIZE);
		Object configured = config.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
		long maxRequestSize = (configured != null) ? Long.parseLong(configured.toString().trim())
				: KAFKA_DEFAULT_MAX_REQUEST_SIZE;
		if (maxEventSize > maxRequestSize - RECORD_OVERHEAD) {
			logger.warn("outbox.max-payload-size (" + maxEventSize + " bytes) leaves less than " + RECORD_OVERHEAD
					+ " bytes for the key and the relay's headers under the Kafka producer's max.request.size ("
					+ maxRequestSize + " bytes): an event near the limit is accepted by Outbox.publish but too large "
					+ "to send, and is parked, blocking its key. Lower outbox.max-payload-size to at most "
					+ Math.max(0, maxRequestSize - RECORD_OVERHEAD) + " bytes, or raise "
					+ "outbox.relay.kafka.producer.max.request.size (and the topic's max.message.bytes)");
		}
	}

	@Bean
	@ConditionalOnMissingBean
	KafkaOutboxSender outboxKafkaSender(OutboxKafkaProducer producer, OutboxProperties properties,
			Environment environment, ResourceLoader resourceLoader) {
		MessageFormat format = properties.getMessageFormat();
		if (format == MessageFormat.CLOUDEVENTS
				&& !ClassUtils.isPresent(CLOUDEVENTS_KAFKA, resourceLoader.getClassLoader())) {
			throw new OutboxException(
					"outbox.message-format=cloudevents needs the CloudEvents SDK for Kafka: add io.cloudevents:cloudevents-kafka to the dependencies, or remove the property to send the outbox format");
		}
		return new KafkaOutboxSender(producer.template(), format,
				OutboxProperties.cloudeventsSource(properties, environment));
	}

	static Map<String, Object> producerProperties(KafkaProperties kafka, OutboxRelayProperties relay) {
		Map<String, Object> config = new HashMap<>(kafka.buildProducerProperties());
		config.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
		Map<String, String> own = relay.getKafka().getProducer();
		String acks = own.get(ProducerConfig.ACKS_CONFIG);
		if (acks != null && !ACKS_ALL.contains(acks.trim())) {
			throw new OutboxException("outbox.relay.kafka.producer.acks=" + acks
					+ " would let the relay mark events published that the broker may lose: remove it (the relay always uses acks=all)");
		}
		String idempotence = own.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG);
		if (idempotence != null && !Boolean.parseBoolean(idempotence.trim())) {
			throw new OutboxException("outbox.relay.kafka.producer.enable.idempotence=" + idempotence
					+ " could reorder or duplicate events of one key on retries: remove it (the relay always uses an idempotent producer)");
		}
		String inFlight = own.get(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION);
		if (inFlight != null && Integer.parseInt(inFlight.trim()) > 5) {
			throw new OutboxException("outbox.relay.kafka.producer.max.in.flight.requests.per.connection=" + inFlight
					+ " is not allowed with an idempotent producer: use at most 5");
		}
		config.putAll(own);
		config.put(ProducerConfig.ACKS_CONFIG, "all");
		config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
		config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
		config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
		// fail a send within the relay's send timeout instead of retrying past it
		long sendTimeout = relay.getSendTimeout().toMillis();
		config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
		config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, sendTimeout);
		config.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(1000, sendTimeout / 2));
		config.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) sendTimeout);
		return config;
	}

}
