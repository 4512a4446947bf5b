package dev.outbox.autoconfigure.amqp;

import java.net.URI;

import dev.outbox.amqp.RabbitOutboxSender;
import dev.outbox.autoconfigure.relay.OutboxRelayProperties;
import org.junit.jupiter.api.Test;

import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link OutboxAmqpAutoConfiguration}'s connection (no broker needed: nothing
 * connects until a message is sent).
 */
class OutboxAmqpAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(RabbitAutoConfiguration.class, OutboxAmqpAutoConfiguration.class))
		.withUserConfiguration(RelayProperties.class);

	@Test
	void relayConnectionHasConfirmsReturnsAndGivesUpOnAHangingBrokerAfterTheSendTimeout() {
		this.runner.run((context) -> {
			assertThat(context).hasSingleBean(RabbitOutboxSender.class);
			var connectionFactory = context.getBean(OutboxRabbitConnection.class).connectionFactory();
			assertThat(connectionFactory.isPublisherConfirms()).isTrue();
			assertThat(connectionFactory.isPublisherReturns()).isTrue();
			assertThat(connectionFactory.getRabbitConnectionFactory().getChannelRpcTimeout()).isEqualTo(10_000);
		});
	}

	@Test
	void channelRpcTimeoutFollowsTheConfiguredSendTimeout() {
		this.runner.withPropertyValues("outbox.relay.send-timeout=3s")
			.run((context) -> assertThat(context.getBean(OutboxRabbitConnection.class)
				.connectionFactory()
				.getRabbitConnectionFactory()
				.getChannelRpcTimeout()).isEqualTo(3_000));
	}

	@Test
	void senderSendsTheOutboxFormatByDefault() {
		this.runner
			.run((context) -> assertThat(context.getBean(RabbitOutboxSender.class)).extracting("cloudEventsSource")
				.isNull());
	}

	@Test
	void senderSendsCloudEventsWhenAskedFromSlashOutboxWithoutAnApplicationName() {
		this.runner.withPropertyValues("outbox.message-format=cloudevents")
			.run((context) -> assertThat(context.getBean(RabbitOutboxSender.class)).extracting("cloudEventsSource")
				.isEqualTo(URI.create("/outbox")));
	}

	@Test
	void unknownMessageFormatFailsStartUpNamingTheProperty() {
		this.runner.withPropertyValues("outbox.message-format=json")
			.run((context) -> assertThat(context.getStartupFailure())
				.hasStackTraceContaining("Failed to bind properties under 'outbox.message-format'"));
	}

	@Configuration(proxyBeanMethods = false)
	@EnableConfigurationProperties(OutboxRelayProperties.class)
	static class RelayProperties {

	}

}
