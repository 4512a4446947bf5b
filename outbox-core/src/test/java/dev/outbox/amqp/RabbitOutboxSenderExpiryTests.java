package dev.outbox.amqp;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;

import dev.outbox.CloudEvents;
import dev.outbox.MessageFormat;
import dev.outbox.OutboxHeaders;
import dev.outbox.spi.OutboxMessage;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The expiry of a RabbitMQ message as {@link RabbitOutboxSender} writes it, with a fixed
 * clock (no broker: the connection factory never connects).
 */
class RabbitOutboxSenderExpiryTests {

	private static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");

	private final CachingConnectionFactory connections = new CachingConnectionFactory("127.0.0.1", 9);

	RabbitOutboxSenderExpiryTests() {
		this.connections.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
		this.connections.setPublisherReturns(true);
	}

	private MessageProperties properties(MessageFormat format, Instant expiresAt) {
		RabbitOutboxSender sender = new RabbitOutboxSender(new RabbitTemplate(this.connections), format,
				CloudEvents.DEFAULT_SOURCE);
		sender.clock(Clock.fixed(NOW, ZoneOffset.UTC));
		OutboxMessage message = new OutboxMessage(UUID.randomUUID(), "orders", null, "order", "1", "order-placed", "1",
				"{}".getBytes(StandardCharsets.UTF_8), "application/json", Map.of(), NOW.minusSeconds(5), expiresAt);
		return sender.toMessage(message).getMessageProperties();
	}

	@Test
	void expirationIsTheTimeLeftWhenSentInMilliseconds() {
		MessageProperties properties = properties(MessageFormat.OUTBOX, NOW.plusMillis(30_250));
		assertThat(properties.getExpiration()).isEqualTo("30250");
		assertThat(properties.getHeaders()).containsEntry(OutboxHeaders.EXPIRES_AT, "2026-01-02T03:04:35.250Z");
	}

	@Test
	void expirationIsZeroWhenNoTimeIsLeft() {
		assertThat(properties(MessageFormat.OUTBOX, NOW.minusMillis(1)).getExpiration()).isEqualTo("0");
	}

	@Test
	void messageWithoutExpiryHasNoExpiration() {
		MessageProperties properties = properties(MessageFormat.OUTBOX, null);
		assertThat(properties.getExpiration()).isNull();
		assertThat(properties.getHeaders()).doesNotContainKey(OutboxHeaders.EXPIRES_AT);
	}

	@Test
	void cloudEventCarriesTheExpiryAsAnExtension() {
		MessageProperties properties = properties(MessageFormat.CLOUDEVENTS, NOW.plusSeconds(30));
		assertThat(properties.getHeaders()).containsEntry("cloudEvents_expiresat", "2026-01-02T03:04:35Z");
		assertThat(properties.getExpiration()).isEqualTo("30000");
	}

}
