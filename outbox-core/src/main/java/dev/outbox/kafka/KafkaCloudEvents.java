package dev.outbox.kafka;

import java.net.URI;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;

import dev.outbox.CloudEvents;
import dev.outbox.spi.OutboxMessage;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.kafka.KafkaMessageFactory;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Writes an outbox message as a CloudEvent in the binary content mode of the Kafka
 * protocol binding, with the CloudEvents SDK: {@code ce_*} headers, {@code content-type}
 * and the payload as the value. Loaded only when the format is used, so that the SDK is
 * needed only then.
 */
final class KafkaCloudEvents {

	/** The headers the binding writes, which an event's own headers may not replace. */
	static final Set<String> HEADERS = Set.of(CloudEvents.KAFKA_ID, CloudEvents.KAFKA_PREFIX + "type",
			CloudEvents.KAFKA_PREFIX + "source", CloudEvents.KAFKA_PREFIX + "time",
			CloudEvents.KAFKA_PREFIX + "specversion", CloudEvents.KAFKA_PREFIX + "subject",
			CloudEvents.KAFKA_PREFIX + "datacontenttype", CloudEvents.KAFKA_PREFIX + CloudEvents.EXPIRES_AT_EXTENSION,
			"content-type");

	private final URI source;

	KafkaCloudEvents(URI source) {
		this.source = CloudEvents.checkSource(source);
	}

	ProducerRecord<String, byte[]> record(OutboxMessage message, Headers otherHeaders) {
		CloudEventBuilder builder = CloudEventBuilder.v1();
		Instant expiresAt = message.expiresAt();
		if (expiresAt != null) {
			builder.withExtension(CloudEvents.EXPIRES_AT_EXTENSION, expiresAt.atOffset(ZoneOffset.UTC));
		}
		CloudEvent event = builder.withId(message.id().toString())
			.withType(message.eventType())
			.withSource(this.source)
			.withSubject(message.aggregateId())
			.withTime(message.createdAt().atOffset(ZoneOffset.UTC))
			.withDataContentType(message.contentType())
			.withData(message.payload())
			.build();
		ProducerRecord<String, byte[]> record = KafkaMessageFactory
			.createWriter(message.destination(), null, null, message.key())
			.writeBinary(event);
		for (Header header : otherHeaders) {
			record.headers().add(header);
		}
		return record;
	}

}
