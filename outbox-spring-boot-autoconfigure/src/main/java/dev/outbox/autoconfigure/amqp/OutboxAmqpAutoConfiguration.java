package dev.outbox.autoconfigure.amqp;

import dev.outbox.amqp.RabbitOutboxSender;
import dev.outbox.autoconfigure.relay.OutboxRelayAutoConfiguration;

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
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.ResourceLoader;

/**
 * Auto-configuration of the relay's {@link RabbitOutboxSender}: a dedicated connection
 * factory configured from {@code spring.rabbitmq.*} like the application's, with
 * correlated publisher confirms and publisher returns always on, so a message counts as
 * delivered only when the broker confirmed it and routed it.
 */
@AutoConfiguration(after = RabbitAutoConfiguration.class, before = OutboxRelayAutoConfiguration.class)
@ConditionalOnClass({ RabbitTemplate.class, RabbitOutboxSender.class, RabbitProperties.class })
@ConditionalOnBooleanProperty(name = "outbox.relay.enabled", matchIfMissing = true)
public final class OutboxAmqpAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	OutboxRabbitConnection outboxRabbitConnection(ObjectProvider<RabbitProperties> rabbitProperties,
			ObjectProvider<RabbitConnectionFactoryBeanConfigurer> factoryBeanConfigurer,
			ObjectProvider<CachingConnectionFactoryConfigurer> connectionFactoryConfigurer,
			ResourceLoader resourceLoader) throws Exception {
		RabbitProperties properties = rabbitProperties.getIfAvailable(RabbitProperties::new);
		RabbitConnectionFactoryBean factoryBean = new RabbitConnectionFactoryBean();
		factoryBeanConfigurer
			.getIfAvailable(() -> new RabbitConnectionFactoryBeanConfigurer(resourceLoader, properties))
			.configure(factoryBean);
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
	RabbitOutboxSender outboxRabbitSender(OutboxRabbitConnection connection) {
		return new RabbitOutboxSender(new RabbitTemplate(connection.connectionFactory()));
	}

}
