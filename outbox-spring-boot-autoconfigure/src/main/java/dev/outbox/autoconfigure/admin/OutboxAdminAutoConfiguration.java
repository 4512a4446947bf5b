package dev.outbox.autoconfigure.admin;

import java.time.Clock;

import javax.sql.DataSource;

import dev.outbox.OutboxTables;
import dev.outbox.SqlIdentifiers;
import dev.outbox.admin.OutboxAdmin;
import dev.outbox.autoconfigure.jdbc.OutboxProperties;
import dev.outbox.jdbc.JdbcOutbox;
import dev.outbox.relay.OutboxRelay;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@link OutboxAdmin} over the outbox tables; replays wake this
 * application's relay, if it runs one, and notify the relays of the other instances on
 * {@code outbox.notify-channel}.
 */
@AutoConfiguration(afterName = { "dev.outbox.autoconfigure.jdbc.OutboxJdbcAutoConfiguration",
		"dev.outbox.autoconfigure.relay.OutboxRelayAutoConfiguration" })
@ConditionalOnClass(OutboxAdmin.class)
@ConditionalOnSingleCandidate(DataSource.class)
@ConditionalOnBean(OutboxTables.class)
public final class OutboxAdminAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	OutboxAdmin outboxAdmin(DataSource dataSource, OutboxTables tables, ObjectProvider<OutboxRelay> relay,
			ObjectProvider<Clock> clock, ObjectProvider<OutboxProperties> properties) {
		OutboxProperties outbox = properties.getIfAvailable();
		String channel = (outbox != null) ? outbox.getNotifyChannel() : null;
		if (channel != null && channel.isBlank()) {
			channel = null;
		}
		String reason = (channel != null)
				? SqlIdentifiers.invalidReason(channel, "outbox.notify-channel", JdbcOutbox.DEFAULT_NOTIFY_CHANNEL)
				: null;
		if (reason != null) {
			throw new InvalidConfigurationPropertyValueException("outbox.notify-channel", channel, reason);
		}
		return OutboxAdmin.builder(dataSource, tables)
			.database((outbox != null) ? outbox.getDatabase() : null)
			.clock(clock.getIfUnique(Clock::systemUTC))
			.notifyChannel(channel)
			.onReplay(() -> relay.ifAvailable(OutboxRelay::wakeUp))
			.build();
	}

}
