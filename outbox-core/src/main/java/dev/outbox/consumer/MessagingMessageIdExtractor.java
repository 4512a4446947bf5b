package dev.outbox.consumer;

import org.jspecify.annotations.Nullable;

import org.springframework.core.MethodParameter;
import org.springframework.messaging.Message;

/**
 * Reads the message id from a header of a Spring messaging {@link Message} argument (as
 * Spring Kafka and Spring AMQP listeners receive it), falling back to a CloudEvents id
 * header ({@code ce_id}, {@code cloudEvents_id}, {@code cloudEvents:id}), then to
 * {@code amqp_messageId}.
 */
final class MessagingMessageIdExtractor implements MessageIdExtractor {

	private final String headerName;

	MessagingMessageIdExtractor(String headerName) {
		this.headerName = headerName;
	}

	@Override
	public boolean supports(MethodParameter parameter) {
		return Message.class.isAssignableFrom(parameter.getNestedParameterType());
	}

	@Override
	public @Nullable String extract(MethodParameter parameter, @Nullable Object argument) {
		if (argument instanceof Message<?> message) {
			String id = HeaderValues.idOrCloudEventId(this.headerName, message.getHeaders()::get);
			return (id != null) ? id : HeaderValues.asId(message.getHeaders().get(HeaderValues.AMQP_MESSAGE_ID));
		}
		return null;
	}

}
