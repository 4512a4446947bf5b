package dev.outbox.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import javax.sql.DataSource;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Sends {@code pg_notify(channel, '')} after commits, outside the business transactions,
 * so that relays in other processes wake up: a PostgreSQL transaction that notifies takes
 * a cluster-wide lock for its commit, which would serialize every writer's commit.
 * <p>
 * {@link #request()} only sets a flag (and wakes the notifier thread when the flag was
 * clear); the thread sends one notification per interval at most (normally
 * {@link #DEFAULT_INTERVAL}), on a connection of its own, in a transaction of its own,
 * covering every request made before it was sent. The thread starts on the first request,
 * keeps its connection while requests keep coming, and ends (returning the connection to
 * the pool) after {@link #IDLE_TIMEOUT} without one. A failed notification is retried
 * once on a fresh connection, then dropped: the relays find the events at their next
 * poll. Failures are logged at WARN at most once per {@link #WARN_INTERVAL}, and never
 * reach the caller.
 */
final class CommitNotifier {

	/** Shortest time between two notifications, bounding the wake-up delay it adds. */
	static final Duration DEFAULT_INTERVAL = Duration.ofMillis(5);

	/** How long the thread and its connection stay without a request. */
	static final Duration IDLE_TIMEOUT = Duration.ofSeconds(1);

	private static final Duration WARN_INTERVAL = Duration.ofMinutes(1);

	/**
	 * The notification, in a transaction that does not wait for its commit record to be
	 * flushed: it writes no data, and the cluster-wide notify lock it takes for its
	 * commit is held for a shorter time.
	 */
	private static final String NOTIFY_SQL = "select set_config('synchronous_commit', 'off', true), pg_notify(?, '')";

	private static final Log logger = LogFactory.getLog(CommitNotifier.class);

	private final DataSource dataSource;

	private final String channel;

	private final long intervalNanos;

	/** Whether a commit happened since the last notification started. */
	private final AtomicBoolean requested = new AtomicBoolean();

	private final Object lock = new Object();

	/** The running notifier thread; guarded by {@link #lock}. */
	private @Nullable Thread thread;

	/** Guarded by {@link #lock}. */
	private boolean closed;

	/**
	 * When failures were last reported (nanoTime, 0 for never); used by the notifier
	 * thread only (one at a time, handed over under {@link #lock}).
	 */
	private long lastWarning;

	/** Failures since the last report; as {@link #lastWarning}. */
	private long unreportedFailures;

	CommitNotifier(DataSource dataSource, String channel, Duration interval) {
		this.dataSource = dataSource;
		this.channel = channel;
		this.intervalNanos = interval.toNanos();
	}

	/**
	 * Ask for a notification after this moment; returns at once and never throws.
	 */
	void request() {
		if (this.requested.getAndSet(true)) {
			// the pending notification covers this commit too
			return;
		}
		synchronized (this.lock) {
			if (this.closed) {
				return;
			}
			Thread running = this.thread;
			if (running != null) {
				LockSupport.unpark(running);
				return;
			}
			try {
				Thread started = new Thread(this::run, "outbox-notify");
				started.setDaemon(true);
				started.start();
				this.thread = started;
			}
			catch (Throwable ex) {
				this.requested.set(false);
				logger.warn("Could not start the outbox notifier thread; relays in other processes find the events "
						+ "at their next poll: " + ex);
			}
		}
	}

	/**
	 * Send what was requested, then stop the thread; later requests are ignored.
	 * @param timeout how long to wait for the thread
	 */
	void close(Duration timeout) {
		Thread running;
		synchronized (this.lock) {
			this.closed = true;
			running = this.thread;
		}
		if (running != null) {
			LockSupport.unpark(running);
			try {
				running.join(timeout.toMillis());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	private void run() {
		Worker worker = new Worker();
		boolean normalExit = false;
		try {
			normalExit = worker.loop();
		}
		finally {
			worker.release();
			if (!normalExit) {
				synchronized (this.lock) {
					if (this.thread == Thread.currentThread()) {
						this.thread = null;
						// let the next commit start a new thread
						this.requested.set(false);
					}
				}
			}
		}
	}

	private boolean isClosed() {
		synchronized (this.lock) {
			return this.closed;
		}
	}

	/**
	 * The loop of one notifier thread and the connection it holds.
	 */
	private final class Worker {

		private @Nullable Connection connection;

		/**
		 * Send notifications until idle or closed.
		 * @return {@code true} once the thread has given up its place (thread field
		 * cleared)
		 */
		boolean loop() {
			CommitNotifier notifier = CommitNotifier.this;
			long lastSent = System.nanoTime() - notifier.intervalNanos;
			long idleSince = System.nanoTime();
			while (true) {
				if (notifier.requested.get()) {
					long wait = lastSent + notifier.intervalNanos - System.nanoTime();
					if (wait > 0 && !isClosed()) {
						// the commits of the next few milliseconds share this
						// notification
						LockSupport.parkNanos(notifier, wait);
						continue;
					}
					// clear before sending: a commit after this point asks for the next
					// one
					notifier.requested.set(false);
					send();
					lastSent = System.nanoTime();
					idleSince = lastSent;
				}
				else if (System.nanoTime() - idleSince >= IDLE_TIMEOUT.toNanos() || isClosed()) {
					release();
					synchronized (notifier.lock) {
						if (!notifier.requested.get() || notifier.closed) {
							notifier.thread = null;
							return true;
						}
					}
				}
				else {
					LockSupport.parkNanos(notifier, IDLE_TIMEOUT.toNanos() - (System.nanoTime() - idleSince));
				}
			}
		}

		private void send() {
			Exception failure = null;
			for (int attempt = 0; attempt < 2; attempt++) {
				try {
					Connection current = this.connection;
					if (current == null) {
						current = CommitNotifier.this.dataSource.getConnection();
						this.connection = current;
						// the pool restores auto-commit when the connection is returned
						current.setAutoCommit(false);
					}
					try (PreparedStatement statement = current.prepareStatement(NOTIFY_SQL)) {
						statement.setString(1, CommitNotifier.this.channel);
						statement.execute();
					}
					current.commit();
					succeeded();
					return;
				}
				catch (SQLException | RuntimeException ex) {
					// a connection kept across a database restart is broken: retry on a
					// new
					// one
					failure = ex;
					release();
				}
			}
			failed(failure);
		}

		void release() {
			Connection current = this.connection;
			this.connection = null;
			if (current != null) {
				try {
					current.close();
				}
				catch (SQLException | RuntimeException ex) {
					logger.debug("Could not return the outbox notifier's connection", ex);
				}
			}
		}

	}

	private void succeeded() {
		if (this.unreportedFailures > 0 || this.lastWarning != 0) {
			logger.info("Outbox notifications on channel '" + this.channel + "' are sent again"
					+ ((this.unreportedFailures > 0) ? " after " + this.unreportedFailures + " more failure(s)" : ""));
			this.unreportedFailures = 0;
			this.lastWarning = 0;
		}
	}

	private void failed(@Nullable Exception failure) {
		long now = System.nanoTime();
		if (this.lastWarning != 0 && now - this.lastWarning < WARN_INTERVAL.toNanos()) {
			this.unreportedFailures++;
			if (logger.isDebugEnabled()) {
				logger.debug("Could not notify channel '" + this.channel + "'", failure);
			}
			return;
		}
		String since = (this.unreportedFailures > 0)
				? " (" + this.unreportedFailures + " more failure(s) since the last report)" : "";
		logger.warn("Could not notify channel '" + this.channel + "' after a commit" + since
				+ "; relays in other processes find the events at their next poll, this application's relay is "
				+ "woken directly: " + ((failure != null) ? failure.getMessage() : "unknown error"));
		this.lastWarning = (now != 0) ? now : 1;
		this.unreportedFailures = 0;
	}

}
