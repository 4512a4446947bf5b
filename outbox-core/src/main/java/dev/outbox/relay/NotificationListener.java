package dev.outbox.relay;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import javax.sql.DataSource;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Wakes the relay when another JVM commits events: holds one connection on which it
 * {@code LISTEN}s to the outbox channel, and reconnects with backoff when the database
 * goes away (waking the relay after reconnecting, since notifications may have been
 * missed meanwhile).
 */
final class NotificationListener implements Runnable {

	private static final Log logger = LogFactory.getLog(NotificationListener.class);

	private static final int POLL_MILLIS = 500;

	/**
	 * Upper bound of the delay between reconnect attempts: once the database is back, the
	 * relay hears commits again within about this long, so keep it short (one connection
	 * attempt per delay while the database is away).
	 */
	private static final Duration MAX_RECONNECT_DELAY = Duration.ofSeconds(2);

	private final DataSource dataSource;

	private final String channel;

	private final Runnable wakeUp;

	private volatile boolean running = true;

	private @Nullable Thread thread;

	NotificationListener(DataSource dataSource, String channel, Runnable wakeUp) {
		this.dataSource = dataSource;
		this.channel = channel;
		this.wakeUp = wakeUp;
	}

	void start(String threadName) {
		Thread t = new Thread(this, threadName);
		t.setDaemon(true);
		this.thread = t;
		t.start();
	}

	void stop() {
		this.running = false;
		Thread t = this.thread;
		if (t != null) {
			t.interrupt();
			try {
				t.join(POLL_MILLIS * 4L);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	@Override
	public void run() {
		long delay = 250;
		int failures = 0;
		while (this.running) {
			try (Connection connection = this.dataSource.getConnection()) {
				connection.setAutoCommit(true);
				try (Statement statement = connection.createStatement()) {
					statement.execute("listen " + this.channel);
				}
				PGConnection pg = connection.unwrap(PGConnection.class);
				if (failures > 0) {
					logger.info("Outbox relay listens on channel '" + this.channel + "' again after " + failures
							+ " failed attempt(s)");
				}
				delay = 250;
				failures = 0;
				this.wakeUp.run();
				while (this.running) {
					PGNotification[] notifications = pg.getNotifications(POLL_MILLIS);
					if (notifications != null && notifications.length > 0) {
						this.wakeUp.run();
					}
				}
			}
			catch (SQLException | RuntimeException ex) {
				if (!this.running) {
					return;
				}
				String message = "Outbox relay lost its LISTEN connection (" + ex.getMessage() + "); reconnecting in "
						+ delay + " ms, polling meanwhile";
				if (failures++ == 0) {
					logger.warn(message);
				}
				else if (logger.isDebugEnabled()) {
					logger.debug(message);
				}
				try {
					Thread.sleep(delay);
				}
				catch (InterruptedException interrupted) {
					return;
				}
				delay = Math.min(delay * 2, MAX_RECONNECT_DELAY.toMillis());
			}
		}
	}

}
