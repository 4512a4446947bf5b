package dev.outbox.autoconfigure.relay;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import javax.sql.DataSource;

import dev.outbox.OutboxDatabase;
import dev.outbox.OutboxException;
import dev.outbox.OutboxTables;
import dev.outbox.SqlIdentifiers;
import dev.outbox.jdbc.JdbcOutbox;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.spi.OutboxRelayListener;
import dev.outbox.spi.OutboxSender;
import dev.outbox.spi.Partitions;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
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
@EnableConfigurationProperties(OutboxRelayProperties.class)
public final class OutboxRelayAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	OutboxRelay outboxRelay(DataSource dataSource, OutboxTables tables, OutboxRelayProperties properties,
			Environment environment, ObjectProvider<OutboxSender> senders,
			ObjectProvider<OutboxRelayListener> listeners, ObjectProvider<OutboxRelayCustomizer> customizers) {
		Binder binder = Binder.get(environment);
		requirePostgresql(dataSource, binder);
		validate(properties);
		List<OutboxSender> available = senders.orderedStream().toList();
		String broker = validateRouting(properties, available);
		int partitions = binder.bind("outbox.partitions", Integer.class).orElse(Partitions.DEFAULT_COUNT);
		String channel = binder.bind("outbox.notify-channel", String.class).orElse(JdbcOutbox.DEFAULT_NOTIFY_CHANNEL);
		if (StringUtils.hasText(channel)) {
			// the writer's rule: a channel the writer accepts is one the relay listens on
			String reason = SqlIdentifiers.invalidReason(channel, "outbox.notify-channel",
					JdbcOutbox.DEFAULT_NOTIFY_CHANNEL);
			if (reason != null) {
				throw new InvalidConfigurationPropertyValueException("outbox.notify-channel", channel, reason);
			}
		}
		boolean listen = properties.isListen() && StringUtils.hasText(channel)
				&& ClassUtils.isPresent("org.postgresql.PGConnection", getClass().getClassLoader());
		OutboxRelayProperties.Backoff backoff = properties.getBackoff();
		OutboxRelay.Builder builder = OutboxRelay.builder(dataSource, tables)
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
		try {
			return builder.build();
		}
		catch (IllegalArgumentException ex) {
			throw new OutboxException("Invalid outbox.relay configuration: " + ex.getMessage(), ex);
		}
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
	 * The relay's store is PostgreSQL's so far: on MariaDB or MySQL, fail start-up saying
	 * so and how to start without the relay, rather than at the first poll.
	 */
	private static void requirePostgresql(DataSource dataSource, Binder binder) {
		OutboxDatabase database = binder.bind("outbox.database", OutboxDatabase.class)
			.orElseGet(() -> OutboxDatabase.of(dataSource));
		if (database != OutboxDatabase.POSTGRESQL) {
			throw new InvalidConfigurationPropertyValueException("outbox.relay.enabled", true,
					"The outbox relay runs on PostgreSQL only in this version, and this application's outbox is on "
							+ database.displayName() + ", where the outbox records events and the idempotent "
							+ "consumer works, but nothing delivers them yet. Set outbox.relay.enabled=false to start "
							+ "without the relay (recorded events wait in the outbox table for a relay that supports "
							+ database.displayName() + ").");
		}
	}

	/**
	 * Checks the numbers up front so that a bad value fails start-up naming its property.
	 */
	private static void validate(OutboxRelayProperties properties) {
		atLeastOne("outbox.relay.batch-size", properties.getBatchSize());
		if (properties.getBatchMaxBytes().toBytes() < 1) {
			throw new InvalidConfigurationPropertyValueException("outbox.relay.batch-max-bytes",
					properties.getBatchMaxBytes(), "It must be a positive size, for example 4MB.");
		}
		positive("outbox.relay.poll-interval", properties.getPollInterval());
		positive("outbox.relay.send-timeout", properties.getSendTimeout());
		atLeastOne("outbox.relay.max-attempts", properties.getMaxAttempts());
		positive("outbox.relay.lease-duration", properties.getLeaseDuration());
		if (properties.getSendTimeout().multipliedBy(2).compareTo(properties.getLeaseDuration()) > 0) {
			throw new InvalidConfigurationPropertyValueException("outbox.relay.lease-duration",
					properties.getLeaseDuration(),
					"It must be at least twice outbox.relay.send-timeout (" + properties.getSendTimeout()
							+ ") so that a batch completes while its partitions are owned.");
		}
		if (properties.getRetention().isNegative()) {
			throw new InvalidConfigurationPropertyValueException("outbox.relay.retention", properties.getRetention(),
					"It must not be negative; 0 deletes events as soon as they are published.");
		}
		positive("outbox.relay.purge-interval", properties.getPurgeInterval());
		atLeastOne("outbox.relay.purge-batch-size", properties.getPurgeBatchSize());
		OutboxRelayProperties.Backoff backoff = properties.getBackoff();
		if (backoff.getInitialInterval().isNegative()) {
			throw new InvalidConfigurationPropertyValueException("outbox.relay.backoff.initial-interval",
					backoff.getInitialInterval(), "It must not be negative.");
		}
		if (backoff.getMultiplier() < 1.0) {
			throw new InvalidConfigurationPropertyValueException("outbox.relay.backoff.multiplier",
					backoff.getMultiplier(), "It must be at least 1 (1: a constant delay).");
		}
		if (backoff.getMaxInterval().compareTo(backoff.getInitialInterval()) < 0) {
			throw new InvalidConfigurationPropertyValueException("outbox.relay.backoff.max-interval",
					backoff.getMaxInterval(), "It must not be less than outbox.relay.backoff.initial-interval ("
							+ backoff.getInitialInterval() + ").");
		}
		if (backoff.getJitter() < 0.0 || backoff.getJitter() > 1.0) {
			throw new InvalidConfigurationPropertyValueException("outbox.relay.backoff.jitter", backoff.getJitter(),
					"It must be between 0 (no jitter) and 1.");
		}
	}

	private static void atLeastOne(String property, int value) {
		if (value < 1) {
			throw new InvalidConfigurationPropertyValueException(property, value, "It must be at least 1.");
		}
	}

	private static void positive(String property, Duration value) {
		if (value.isNegative() || value.isZero()) {
			throw new InvalidConfigurationPropertyValueException(property, value,
					"It must be a positive duration, for example 1s.");
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
