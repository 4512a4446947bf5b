package dev.outbox.relay;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.dao.DataAccessException;

/**
 * The relay thread: runs pipeline passes until stopped, at once while more events wait,
 * else when woken up, when a retry the relay recorded or the next retried or delayed
 * event its last fetch saw falls due, or after the poll interval, whichever comes first.
 * <p>
 * It survives any {@link Throwable} of a pass: it logs it and waits before the next pass,
 * from 100 ms doubling up to ten poll intervals. When {@value #MAX_CONSECUTIVE_ERRORS}
 * passes in a row end in an {@link Error}, or the thread ends for any other reason while
 * running, it hands the cause to its give-up action, which runs on the relay thread (so
 * no batch is in flight) while the loop still counts as running.
 */
final class RelayLoop {

	/**
	 * Number of passes in a row ending in an {@link Error} after which the relay gives
	 * up: one may be transient (a deep payload overflowing a serializer's stack), several
	 * in a row mean this instance cannot relay.
	 */
	static final int MAX_CONSECUTIVE_ERRORS = 3;

	private static final long FIRST_ERROR_DELAY_MILLIS = 100;

	private static final Log logger = LogFactory.getLog(OutboxRelay.class);

	private final Supplier<RelayPass> pass;

	private final Consumer<Throwable> giveUp;

	private final LongSupplier takeScheduledRetry;

	private final Duration pollInterval;

	private final String instanceId;

	private final Semaphore wakeUps = new Semaphore(0);

	private volatile boolean running;

	private @Nullable Thread thread;

	/**
	 * Create a loop.
	 * @param pass one pass of the pipeline
	 * @param giveUp what to do when the relay cannot go on
	 * @param takeScheduledRetry when the earliest retry recorded since the last call is
	 * due ({@link OutcomeRecorder#takeScheduledRetry()})
	 * @param settings the relay settings
	 */
	RelayLoop(Supplier<RelayPass> pass, Consumer<Throwable> giveUp, LongSupplier takeScheduledRetry,
			RelaySettings settings) {
		this.pass = pass;
		this.giveUp = giveUp;
		this.takeScheduledRetry = takeScheduledRetry;
		this.pollInterval = settings.pollInterval;
		this.instanceId = settings.instanceId;
	}

	/**
	 * Start the relay thread.
	 */
	void start() {
		this.running = true;
		Thread loop = new Thread(this::run, "outbox-relay");
		loop.setDaemon(true);
		this.thread = loop;
		loop.start();
	}

	/**
	 * Ask the relay thread to stop after its pass in flight.
	 */
	void requestStop() {
		this.running = false;
		this.wakeUps.release();
	}

	/**
	 * Wait for the relay thread to end after {@link #requestStop()}.
	 * @param timeout how long to wait
	 * @return whether it ended (no pass in flight)
	 * @throws InterruptedException if interrupted while waiting
	 */
	boolean awaitStopped(Duration timeout) throws InterruptedException {
		Thread loop = this.thread;
		this.thread = null;
		if (loop == null) {
			return true;
		}
		loop.join(timeout.toMillis());
		return !loop.isAlive();
	}

	boolean isRunning() {
		return this.running;
	}

	/**
	 * Make the next wait end at once.
	 */
	void wakeUp() {
		if (this.wakeUps.availablePermits() == 0) {
			this.wakeUps.release();
		}
	}

	private void run() {
		Throwable cause = null;
		try {
			relayUntilStopped();
		}
		catch (Throwable ex) {
			cause = ex;
		}
		finally {
			if (this.running) {
				this.giveUp
					.accept((cause != null) ? cause : new IllegalStateException("The relay thread ended unexpectedly"));
				this.running = false;
			}
		}
	}

	/**
	 * Run passes until stopped. Returns normally when stopped, or when interrupted
	 * (unexpected while running); throws the {@link Error} of the last pass when it is
	 * the {@value #MAX_CONSECUTIVE_ERRORS}th in a row.
	 */
	private void relayUntilStopped() {
		long errorDelay = FIRST_ERROR_DELAY_MILLIS;
		int consecutiveErrors = 0;
		long nextDue = RelayPass.NOTHING_DUE;
		while (this.running) {
			RelayPass result = RelayPass.IDLE;
			boolean failed = true;
			long passStarted = System.nanoTime();
			try {
				result = this.pass.get();
				failed = false;
				errorDelay = FIRST_ERROR_DELAY_MILLIS;
				consecutiveErrors = 0;
			}
			catch (DataAccessException ex) {
				// the database is away: every instance suffers it, and the leases run out
				// on their own if it lasts
				logger.warn("Outbox relay " + this.instanceId + " failed to relay a batch; retrying in " + errorDelay
						+ " ms: " + ex);
			}
			catch (Error ex) {
				if (++consecutiveErrors >= MAX_CONSECUTIVE_ERRORS) {
					throw ex;
				}
				logger.error("Outbox relay " + this.instanceId + " failed to relay a batch with an error ("
						+ consecutiveErrors + " in a row, it gives up at " + MAX_CONSECUTIVE_ERRORS
						+ "); no attempt is counted for the events; retrying in " + errorDelay + " ms", ex);
			}
			catch (Throwable ex) {
				logger.error("Outbox relay " + this.instanceId + " failed to relay a batch; retrying in " + errorDelay
						+ " ms", ex);
			}
			if (failed) {
				sleepQuietly(errorDelay);
				errorDelay = Math.min(errorDelay * 2, this.pollInterval.toMillis() * 10);
			}
			// an event due when this pass started was found by its fetch (or waits behind
			// its key), unless the pass failed; the retries recorded by this pass and the
			// next due time its fetch saw fall due after it started
			if (!failed && nextDue != RelayPass.NOTHING_DUE && nextDue - passStarted <= 0) {
				nextDue = RelayPass.NOTHING_DUE;
			}
			nextDue = RelayPass.earlier(nextDue, this.takeScheduledRetry.getAsLong());
			// the next retried or delayed event of the owned partitions, whoever wrote it
			nextDue = RelayPass.earlier(nextDue, result.nextDue());
			if (!result.moreWaiting() && this.running) {
				try {
					this.wakeUps.tryAcquire(waitMillis(nextDue), TimeUnit.MILLISECONDS);
					this.wakeUps.drainPermits();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
			}
		}
	}

	/**
	 * How long to wait for a wake-up: the poll interval, or less if a retried or delayed
	 * event falls due sooner (rounded up to the millisecond, so the pass runs once it is
	 * due).
	 */
	private long waitMillis(long nextDue) {
		long pollMillis = this.pollInterval.toMillis();
		if (nextDue == RelayPass.NOTHING_DUE) {
			return pollMillis;
		}
		long untilDue = nextDue - System.nanoTime();
		if (untilDue <= 0) {
			return 0;
		}
		return Math.min(pollMillis, TimeUnit.NANOSECONDS.toMillis(untilDue) + 1);
	}

	private static void sleepQuietly(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
