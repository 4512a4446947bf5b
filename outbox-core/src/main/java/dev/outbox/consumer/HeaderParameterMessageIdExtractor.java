package dev.outbox.consumer;

import org.jspecify.annotations.Nullable;

import org.springframework.core.MethodParameter;
import org.springframework.messaging.handler.annotation.Header;

/**
 * Takes the message id from a parameter annotated with
 * {@code @Header("outbox-message-id")} (or {@code @Header("amqp_messageId")}, or a
 * CloudEvents id header such as {@code @Header("ce_id")}).
 */
final class HeaderParameterMessageIdExtractor implements MessageIdExtractor {

	private final String headerName;

	HeaderParameterMessageIdExtractor(String headerName) {
		this.headerName = headerName;
	}

	@Override
	public boolean supports(MethodParameter parameter) {
		Header header = parameter.getParameterAnnotation(Header.class);
		// not the elements of a batch listener's list of header values
		if (header == null || parameter.getNestingLevel() > 1) {
			return false;
		}
		String name = !header.name().isEmpty() ? header.name() : header.value();
		return this.headerName.equals(name) || HeaderValues.AMQP_MESSAGE_ID.equals(name)
				|| HeaderValues.CLOUD_EVENT_IDS.contains(name);
	}

	@Override
	public @Nullable String extract(MethodParameter parameter, @Nullable Object argument) {
		return HeaderValues.asId(argument);
	}

}
