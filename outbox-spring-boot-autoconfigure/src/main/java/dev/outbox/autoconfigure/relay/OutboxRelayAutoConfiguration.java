package dev.outbox.autoconfigure.relay;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import javax.sql.DataSource;

import dev.outbox.OutboxDatabase;
import dev.outbox.OutboxException;
import dev.outbox.OutboxTables;
import dev.outbox.SqlIdentifiers;
import dev.outbox.autoconfigure.jdbc.OutboxProperties;
import dev.outbox.jdbc.JdbcOutbox;
import dev.outbox.relay.InvalidRelaySettingException;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.spi.OutboxRelayListener;
import dev.outbox.spi.OutboxSender;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;

/**
 * Auto-configuration of the {@link OutboxRelay}: delivers the committed events of the
 * outbox tables through the {@link OutboxSender} beans (Kafka, RabbitMQ), started and
 * stopped with the application context, and woken by this application's commits.
 * {@link OutboxRelayCustomizer} beans adjust it before it is built.
 */
@AutoConfiguration(after = DataSourceAutoConfiguration.class,
		afterName = "dev.outbox.autoconfigure.jdbc.OutboxJdbcAutoConfiguration")
@ConditionalOnClass(OutboxRelay.class)
@ConditionalOnBean({ DataSource.class, OutboxTables.class })
@ConditionalOnBooleanProperty(name = "outbox.relay.enabled", matchIfMissing = true)
@EnableConfigurationProperties({ OutboxRelayProperties.class, OutboxProperties.class })
public final class OutboxRelayAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	OutboxRelay outboxRelay(DataSource dataSource, OutboxTables tables, OutboxRelayProperties properties,
			OutboxProperties outboxProperties, ObjectProvider<OutboxSender> senders,
			ObjectProvider<OutboxRelayListener> listeners, ObjectProvider<OutboxRelayCustomizer> customizers) {
		OutboxDatabase database = (outboxProperties.getDatabase() != null) ? outboxProperties.getDatabase()
				: OutboxDatabase.of(dataSource);
		List<OutboxSender> available = senders.orderedStream().toList();
		String broker = validateRouting(properties, available);
		int partitions = outboxProperties.getPartitions();
		String channel = outboxProperties.getNotifyChannel();
		if (StringUtils.hasText(channel)) {
			// the writer's rule: a channel the writer accepts is one the relay listens on
			String reason = SqlIdentifiers.invalidReason(channel, "outbox.notify-channel",
					JdbcOutbox.DEFAULT_NOTIFY_CHANNEL);
			if (reason != null) {
				throw new InvalidConfigurationPropertyValueException("outbox.notify-channel", channel, reason);
			}
		}
		// MariaDB and MySQL have no notifications: this application's commits wake its
		// relay in the JVM, other processes' commits are found at the next poll
		boolean listen = database == OutboxDatabase.POSTGRESQL && properties.isListen() && StringUtils.hasText(channel)
				&& ClassUtils.isPresent("org.postgresql.PGConnection", getClass().getClassLoader());
		OutboxRelayProperties.Backoff backoff = properties.getBackoff();
		OutboxRelay.Builder builder = OutboxRelay.builder(dataSource, tables)
			.database(database)
			.senders(available)
			.broker(broker)
			.destinations(properties.getDestinations())
			.partitions(partitions)
			.batchSize(properties.getBatchSize())
			.batchMaxBytes(properties.getBatchMaxBytes().toBytes())
			.pollInterval(properties.getPollInterval())
			.sendTimeout(properties.getSendTimeout())
			.maxAttempts(properties.getMaxAttempts())
			.backoff(backoff.getInitialInterval(), backoff.getMultiplier(), backoff.getMaxInterval(),
					backoff.getJitter())
			.leaseDuration(properties.getLeaseDuration())
			.retention(properties.getRetention())
			.purge(properties.getPurgeInterval(), properties.getPurgeBatchSize())
			.instanceId(properties.getInstanceId())
			.notifyChannel(listen ? channel : null);
		List<OutboxRelayListener> all = listeners.orderedStream().toList();
		if (!all.isEmpty()) {
			builder.listener((all.size() == 1) ? all.get(0) : new CompositeOutboxRelayListener(all));
		}
		customizers.orderedStream().forEach((customizer) -> customizer.customize(builder));
		return build(builder);
	}

	@Bean
	@ConditionalOnMissingBean
	OutboxRelayLifecycle outboxRelayLifecycle(OutboxRelay relay, OutboxRelayProperties properties) {
		return new OutboxRelayLifecycle(relay, properties.isAutoStartup());
	}

	@Bean
	@ConditionalOnMissingBean
	RelayWakeUpCommitListener outboxRelayWakeUpCommitListener(OutboxRelay relay) {
		return new RelayWakeUpCommitListener(relay);
	}

	/**
	 * Build the relay, reporting an invalid setting as its property: the checks
	 * themselves are the relay's.
	 */
	private static OutboxRelay build(OutboxRelay.Builder builder) {
		try {
			return builder.build();
		}
		catch (InvalidRelaySettingException ex) {
			String property = ex.setting().equals("partitions") ? "outbox.partitions" : "outbox.relay." + ex.setting();
			throw new InvalidConfigurationPropertyValueException(property, ex.value(), ex.reason());
		}
		catch (IllegalArgumentException ex) {
			throw new OutboxException("Invalid outbox.relay configuration: " + ex.getMessage(), ex);
		}
	}

	private static String validateRouting(OutboxRelayProperties properties, List<OutboxSender> senders) {
		Set<String> names = new TreeSet<>();
		senders.forEach((sender) -> names.add(sender.name()));
		if (names.isEmpty()) {
			throw new OutboxException(
					"The outbox relay has no sender: add Spring Kafka (spring-boot-starter-kafka) or Spring AMQP (spring-boot-starter-amqp) to the classpath, declare an OutboxSender bean, or set outbox.relay.enabled=false to run no relay in this application");
		}
		String broker = properties.getBroker();
		if (broker != null && !names.contains(broker)) {
			throw new OutboxException("outbox.relay.broker=" + broker + " names no available sender; use one of "
					+ names + " or add that broker's Spring library to the classpath");
		}
		for (Map.Entry<String, String> route : properties.getDestinations().entrySet()) {
			if (!names.contains(route.getValue())) {
				throw new OutboxException("outbox.relay.destinations." + route.getKey() + "=" + route.getValue()
						+ " names no available sender; use one of " + names);
			}
		}
		if (broker == null) {
			if (names.size() > 1) {
				throw new OutboxException("Several outbox senders are available " + names
						+ ": set outbox.relay.broker to the one for most destinations, and outbox.relay.destinations.<destination> for the others");
			}
			broker = names.iterator().next();
		}
		return broker;
	}

}
