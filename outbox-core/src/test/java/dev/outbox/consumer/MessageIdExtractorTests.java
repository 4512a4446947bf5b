package dev.outbox.consumer;

import java.util.List;

import dev.outbox.OutboxHeaders;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link MessageIdExtractor#defaults(String, ClassLoader)}.
 */
class MessageIdExtractorTests {

	@Test
	void defaultsCoverEveryLibraryOnTheClassPath() {
		assertThat(MessageIdExtractor.defaults(OutboxHeaders.MESSAGE_ID)).map(Object::getClass)
			.map(Class::getSimpleName)
			.containsExactly("KafkaRecordMessageIdExtractor", "AmqpMessageIdExtractor", "MessagingMessageIdExtractor",
					"HeaderParameterMessageIdExtractor");
	}

	@Test
	void defaultsLeaveOutLibrariesThatAreMissing() {
		ClassLoader withoutBrokers = new HidingClassLoader(List.of("org.apache.kafka.", "org.springframework.amqp."));
		assertThat(MessageIdExtractor.defaults(OutboxHeaders.MESSAGE_ID, withoutBrokers)).map(Object::getClass)
			.map(Class::getSimpleName)
			.containsExactly("MessagingMessageIdExtractor", "HeaderParameterMessageIdExtractor");
	}

	@Test
	void defaultsAreEmptyWithoutAnyMessagingLibrary() {
		ClassLoader without = new HidingClassLoader(
				List.of("org.apache.kafka.", "org.springframework.amqp.", "org.springframework.messaging."));
		assertThat(MessageIdExtractor.defaults(OutboxHeaders.MESSAGE_ID, without)).isEmpty();
	}

	private static final class HidingClassLoader extends ClassLoader {

		private final List<String> hidden;

		HidingClassLoader(List<String> hidden) {
			super(MessageIdExtractorTests.class.getClassLoader());
			this.hidden = hidden;
		}

		@Override
		protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
			if (this.hidden.stream().anyMatch(name::startsWith)) {
				throw new ClassNotFoundException(name);
			}
			return super.loadClass(name, resolve);
		}

	}

}
