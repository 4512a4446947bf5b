package dev.outbox.consumer;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.jspecify.annotations.Nullable;

import org.springframework.core.MethodParameter;

/**
 * Reads the message id from a header of a Kafka {@link ConsumerRecord} argument, else
 * from the CloudEvents {@code ce_id} header.
 */
final class KafkaRecordMessageIdExtractor implements MessageIdExtractor {

	private final String headerName;

	KafkaRecordMessageIdExtractor(String headerName) {
		this.headerName = headerName;
	}

	@Override
	public boolean supports(MethodParameter parameter) {
		return ConsumerRecord.class.isAssignableFrom(parameter.getNestedParameterType());
	}

	@Override
	public @Nullable String extract(MethodParameter parameter, @Nullable Object argument) {
		if (argument instanceof ConsumerRecord<?, ?> record) {
			return HeaderValues.idOrCloudEventId(this.headerName, (name) -> {
				Header header = record.headers().lastHeader(name);
				return (header != null) ? header.value() : null;
			});
		}
		return null;
	}

}
