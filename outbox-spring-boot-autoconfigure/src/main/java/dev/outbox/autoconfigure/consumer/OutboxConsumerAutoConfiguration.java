package dev.outbox.autoconfigure.consumer;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import javax.sql.DataSource;

import dev.outbox.OutboxDatabase;
import dev.outbox.OutboxHeaders;
import dev.outbox.OutboxTables;
import dev.outbox.consumer.IdempotentConsumer;
import dev.outbox.consumer.IdempotentConsumerListener;
import dev.outbox.consumer.IdempotentListenerAdvisor;
import dev.outbox.consumer.MessageIdExtractor;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.aop.config.AopConfigUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * Auto-configuration of the idempotent consumer: the {@link IdempotentConsumer}, support
 * for {@link dev.outbox.consumer.IdempotentListener @IdempotentListener} methods, the
 * purge of old processed message ids and the duplicates metric.
 */
@AutoConfiguration(afterName = { "dev.outbox.autoconfigure.jdbc.OutboxJdbcAutoConfiguration",
		"org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
		"org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration",
		"org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration" })
@ConditionalOnClass({ IdempotentConsumer.class, DataSource.class })
@ConditionalOnBooleanProperty(name = "outbox.consumer.enabled", matchIfMissing = true)
@EnableConfigurationProperties(OutboxConsumerProperties.class)
@Import(OutboxConsumerAutoConfiguration.AutoProxyRegistrar.class)
public final class OutboxConsumerAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnSingleCandidate(DataSource.class)
	IdempotentConsumer idempotentConsumer(DataSource dataSource,
			ObjectProvider<PlatformTransactionManager> transactionManager, ObjectProvider<OutboxTables> tables,
			ObjectProvider<Clock> clock, ObjectProvider<IdempotentConsumerListener> listeners,
			OutboxConsumerProperties properties, Environment environment) {
		if (properties.getPurgeBatchSize() < 1) {
			throw new InvalidConfigurationPropertyValueException("outbox.consumer.purge-batch-size",
					properties.getPurgeBatchSize(), "Must be at least 1, for example 1000");
		}
		List<IdempotentConsumerListener> all = listeners.orderedStream().toList();
		return IdempotentConsumer
			.builder(dataSource, transactionManager.getIfUnique(() -> new DataSourceTransactionManager(dataSource)))
			.tables(tables.getIfUnique(OutboxTables::defaults))
			.clock(clock.getIfUnique(Clock::systemUTC))
			.missingMessageId(properties.getMissingMessageId())
			.purgeBatchSize(properties.getPurgeBatchSize())
			// outbox.database, when set; otherwise read from a connection at the first
			// use
			.database(Binder.get(environment).bind("outbox.database", OutboxDatabase.class).orElse(null))
			.listener(new IdempotentConsumerListener() {

				@Override
				public void duplicateSkipped(String consumer, String messageId) {
					all.forEach((listener) -> listener.duplicateSkipped(consumer, messageId));
				}

				@Override
				public void processedWithoutMessageId(String consumer) {
					all.forEach((listener) -> listener.processedWithoutMessageId(consumer));
				}

			})
			.build();
	}

	@Bean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	@ConditionalOnMissingBean
	static IdempotentListenerAdvisor idempotentListenerAdvisor(ObjectProvider<IdempotentConsumer> consumer,
			ObjectProvider<MessageIdExtractor> extractors) {
		return new IdempotentListenerAdvisor(consumer::getObject, () -> extractors.orderedStream().toList(),
				OutboxHeaders.MESSAGE_ID);
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnSingleCandidate(IdempotentConsumer.class)
	ProcessedMessagePurger processedMessagePurger(IdempotentConsumer consumer, OutboxConsumerProperties properties) {
		requirePositive("outbox.consumer.retention", properties.getRetention());
		requirePositive("outbox.consumer.purge-interval", properties.getPurgeInterval());
		return new ProcessedMessagePurger(consumer, properties.getRetention(), properties.getPurgeInterval());
	}

	private static void requirePositive(String property, Duration value) {
		if (value == null || value.isNegative() || value.isZero()) {
			throw new InvalidConfigurationPropertyValueException(property, value,
					"Must be a positive duration, for example 7d or 1h");
		}
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterRegistry.class)
	static class MetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean
		OutboxConsumerMetrics outboxConsumerMetrics(ObjectProvider<MeterRegistry> registry) {
			return new OutboxConsumerMetrics(registry);
		}

	}

	/**
	 * Makes sure an auto-proxy creator applies the advisor (Spring Boot's AOP
	 * auto-configuration usually registers one already), proxying classes unless
	 * {@code spring.aop.proxy-target-class=false}.
	 */
	static class AutoProxyRegistrar implements ImportBeanDefinitionRegistrar, EnvironmentAware {

		private boolean proxyTargetClass = true;

		@Override
		public void setEnvironment(Environment environment) {
			this.proxyTargetClass = environment.getProperty("spring.aop.proxy-target-class", Boolean.class, true);
		}

		@Override
		public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
			AopConfigUtils.registerAutoProxyCreatorIfNecessary(registry);
			if (this.proxyTargetClass) {
				AopConfigUtils.forceAutoProxyCreatorToUseClassProxying(registry);
			}
		}

	}

}
