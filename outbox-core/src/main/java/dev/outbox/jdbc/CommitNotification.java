package dev.outbox.jdbc;

import java.time.Duration;
import java.util.List;

import javax.sql.DataSource;

import dev.outbox.spi.OutboxCommitListener;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * What happens after the commit of a transaction that recorded events: the
 * {@link OutboxCommitListener commit listeners} are called (the relay of this application
 * wakes up), and on PostgreSQL relays in other processes are woken by the
 * {@link CommitNotifier}. MariaDB and MySQL have no notifications: relays elsewhere find
 * the events at their next poll.
 */
final class CommitNotification {

	private static final Log logger = LogFactory.getLog(CommitNotification.class);

	private final List<OutboxCommitListener> listeners;

	private final @Nullable CommitNotifier notifier;

	private volatile boolean notify;

	CommitNotification(DataSource dataSource, List<OutboxCommitListener> listeners, @Nullable String channel) {
		this.listeners = List.copyOf(listeners);
		this.notifier = (channel != null) ? new CommitNotifier(dataSource, channel, CommitNotifier.DEFAULT_INTERVAL)
				: null;
		this.notify = this.notifier != null;
	}

	/** Whether the database can notify; off for MariaDB and MySQL. */
	void databaseNotifies(boolean notifies) {
		this.notify = notifies && this.notifier != null;
	}

	void afterCommit() {
		for (OutboxCommitListener listener : this.listeners) {
			try {
				listener.afterCommit();
			}
			catch (Throwable ex) {
				logger.warn("Outbox commit listener " + listener + " failed; the relay will still find the events "
						+ "at its next poll", ex);
			}
		}
		if (this.notify && this.notifier != null) {
			this.notifier.request();
		}
	}

	void close(Duration timeout) {
		if (this.notifier != null) {
			this.notifier.close(timeout);
		}
	}

}
