package dev.outbox.testing;

import javax.sql.DataSource;

import dev.outbox.OutboxTables;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.spi.OutboxSender;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of the {@link OutboxTester} and of the recording of what the relay
 * sends. Meant for the test classpath only: add {@code outbox-test} with test scope.
 */
@AutoConfiguration(afterName = { "dev.outbox.autoconfigure.jdbc.OutboxJdbcAutoConfiguration",
		"dev.outbox.autoconfigure.relay.OutboxRelayAutoConfiguration" })
@ConditionalOnBean({ DataSource.class, OutboxTables.class })
@EnableConfigurationProperties(OutboxTestProperties.class)
public final class OutboxTestAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	OutboxTester outboxTester(DataSource dataSource, OutboxTables tables, ObjectProvider<OutboxRelay> relay,
			ObjectProvider<OutboxSender> senders) {
		return new OutboxTester(dataSource, tables, relay::getIfAvailable, () -> senders.orderedStream().toList());
	}

	@Bean
	static RecordingSenders outboxRecordingSenders() {
		return new RecordingSenders();
	}

	/**
	 * Wraps every {@link OutboxSender} bean in a {@link RecordingOutboxSender}.
	 */
	static final class RecordingSenders implements BeanPostProcessor, EnvironmentAware {

		private boolean sendToBroker = true;

		@Override
		public void setEnvironment(Environment environment) {
			this.sendToBroker = Binder.get(environment).bind("outbox.test.send-to-broker", Boolean.class).orElse(true);
		}

		@Override
		public Object postProcessAfterInitialization(Object bean, String beanName) {
			if (bean instanceof OutboxSender sender && !(bean instanceof RecordingOutboxSender)) {
				return new RecordingOutboxSender(sender, this.sendToBroker);
			}
			return bean;
		}

	}

}
