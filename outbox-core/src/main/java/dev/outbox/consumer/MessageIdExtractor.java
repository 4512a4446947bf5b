package dev.outbox.consumer;

import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.core.MethodParameter;
import org.springframework.util.ClassUtils;

/**
 * Finds the message id among the arguments of an {@link IdempotentListener} method. Plug
 * in your own (as a bean, with the Spring Boot starter) for messages from producers that
 * carry their id elsewhere; custom extractors are asked before the built-in ones.
 */
public interface MessageIdExtractor {

	/**
	 * Whether arguments of this parameter can carry a message id. Checked when the
	 * listener bean is created: a method none of whose parameters is supported fails at
	 * start-up. For a batch listener, the elements of a {@code List} parameter are
	 * offered as the parameter {@linkplain MethodParameter#nested() nested} one level:
	 * check {@link MethodParameter#getNestedParameterType()} to support them too.
	 * @param parameter a parameter of the listener method
	 * @return whether {@link #extract} can find an id in its arguments
	 */
	boolean supports(MethodParameter parameter);

	/**
	 * The message id carried by an argument of a supported parameter.
	 * @param parameter the parameter
	 * @param argument the argument passed for it (for a batch listener, one element of
	 * the list)
	 * @return the message id, or {@code null} if this message has none
	 */
	@Nullable String extract(MethodParameter parameter, @Nullable Object argument);

	/**
	 * The built-in extractors for the libraries on the class path, reading the given
	 * header: Kafka {@code ConsumerRecord} header, Spring AMQP {@code Message} header
	 * then {@code messageId} property, Spring messaging {@code Message} header then
	 * {@code amqp_messageId}, and a {@code @Header(name)} parameter.
	 * @param headerName the header holding the message id, usually
	 * {@link dev.outbox.OutboxHeaders#MESSAGE_ID}
	 * @return the extractors
	 */
	static List<MessageIdExtractor> defaults(String headerName) {
		return defaults(headerName, MessageIdExtractor.class.getClassLoader());
	}

	/**
	 * The built-in extractors for the libraries visible to the given class loader.
	 * @param headerName the header holding the message id
	 * @param classLoader the class loader to look for Kafka, Spring AMQP and Spring
	 * messaging in
	 * @return the extractors
	 * @see #defaults(String)
	 */
	static List<MessageIdExtractor> defaults(String headerName, @Nullable ClassLoader classLoader) {
		List<MessageIdExtractor> extractors = new ArrayList<>();
		if (ClassUtils.isPresent("org.apache.kafka.clients.consumer.ConsumerRecord", classLoader)) {
			extractors.add(new KafkaRecordMessageIdExtractor(headerName));
		}
		if (ClassUtils.isPresent("org.springframework.amqp.core.Message", classLoader)) {
			extractors.add(new AmqpMessageIdExtractor(headerName));
		}
		if (ClassUtils.isPresent("org.springframework.messaging.Message", classLoader)) {
			extractors.add(new MessagingMessageIdExtractor(headerName));
			extractors.add(new HeaderParameterMessageIdExtractor(headerName));
		}
		return List.copyOf(extractors);
	}

}
