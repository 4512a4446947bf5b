package dev.outbox.autoconfigure.amqp;

import java.time.Duration;

import dev.outbox.amqp.RabbitOutboxSender;
import dev.outbox.autoconfigure.jdbc.OutboxProperties;
import dev.outbox.autoconfigure.relay.OutboxRelayAutoConfiguration;
import dev.outbox.autoconfigure.relay.OutboxRelayProperties;

import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.RabbitConnectionFactoryBean;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.amqp.autoconfigure.CachingConnectionFactoryConfigurer;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.amqp.autoconfigure.RabbitConnectionFactoryBeanConfigurer;
import org.springframework.boot.amqp.autoconfigure.RabbitProperties;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;

/**
 * Auto-configuration of the relay's {@link RabbitOutboxSender}: a dedicated connection
 * factory configured from {@code spring.rabbitmq.*} like the application's, with
 * correlated publisher confirms and publisher returns always on, so a message counts as
 * delivered only when the broker confirmed it and routed it. The sender writes the
 * {@code outbox.message-format}.
 */
@AutoConfiguration(after = RabbitAutoConfiguration.class, before = OutboxRelayAutoConfiguration.class)
@ConditionalOnClass({ RabbitTemplate.class, RabbitOutboxSender.class, RabbitProperties.class })
@ConditionalOnBooleanProperty(name = "outbox.relay.enabled", matchIfMissing = true)
@EnableConfigurationProperties(OutboxProperties.class)
public final class OutboxAmqpAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	OutboxRabbitConnection outboxRabbitConnection(ObjectProvider<RabbitProperties> rabbitProperties,
			ObjectProvider<RabbitConnectionFactoryBeanConfigurer> factoryBeanConfigurer,
			ObjectProvider<CachingConnectionFactoryConfigurer> connectionFactoryConfigurer,
			ObjectProvider<OutboxRelayProperties> relayProperties, ResourceLoader resourceLoader) throws Exception {
		RabbitProperties properties = rabbitProperties.getIfAvailable(RabbitProperties::new);
		RabbitConnectionFactoryBean factoryBean = new RabbitConnectionFactoryBean();
		factoryBeanConfigurer
			.getIfAvailable(() -> new RabbitConnectionFactoryBeanConfigurer(resourceLoader, properties))
			.configure(factoryBean);
		// A broker that hangs (connection open, no answer) must not block the relay
		// thread in a channel open for the client's default of 10 minutes: give up after
		// the relay's send timeout, like an unconfirmed send.
		Duration sendTimeout = relayProperties.getIfAvailable(OutboxRelayProperties::new).getSendTimeout();
		factoryBean.setChannelRpcTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, sendTimeout.toMillis())));
		factoryBean.afterPropertiesSet();
		CachingConnectionFactory connectionFactory = new CachingConnectionFactory(factoryBean.getObject());
		connectionFactoryConfigurer.getIfAvailable(() -> new CachingConnectionFactoryConfigurer(properties))
			.configure(connectionFactory);
		connectionFactory.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
		connectionFactory.setPublisherReturns(true);
		connectionFactory.setConnectionNameStrategy((factory) -> "outbox-relay");
		return new OutboxRabbitConnection(connectionFactory);
	}

	@Bean
	@ConditionalOnMissingBean
	RabbitOutboxSender outboxRabbitSender(OutboxRabbitConnection connection, OutboxProperties properties,
			Environment environment) {
		return new RabbitOutboxSender(new RabbitTemplate(connection.connectionFactory()), properties.getMessageFormat(),
				OutboxProperties.cloudeventsSource(properties, environment));
	}

}
