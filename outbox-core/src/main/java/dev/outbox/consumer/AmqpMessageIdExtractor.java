package dev.outbox.consumer;

import org.jspecify.annotations.Nullable;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.core.MethodParameter;

/**
 * Reads the message id from a Spring AMQP {@link Message} argument: the header, else the
 * CloudEvents {@code cloudEvents_id} (or {@code cloudEvents:id}) header, else the AMQP
 * {@code messageId} property.
 */
final class AmqpMessageIdExtractor implements MessageIdExtractor {

	private final String headerName;

	AmqpMessageIdExtractor(String headerName) {
		this.headerName = headerName;
	}

	@Override
	public boolean supports(MethodParameter parameter) {
		return Message.class.isAssignableFrom(parameter.getNestedParameterType());
	}

	@Override
	public @Nullable String extract(MethodParameter parameter, @Nullable Object argument) {
		if (argument instanceof Message message) {
			MessageProperties properties = message.getMessageProperties();
			String id = HeaderValues.idOrCloudEventId(this.headerName, properties::getHeader);
			return (id != null) ? id : HeaderValues.asId(properties.getMessageId());
		}
		return null;
	}

}
