package dev.outbox.benchmarks;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.springframework.transaction.support.TransactionTemplate;

/**
 * One side of {@code compare}: a library that writes events in the business transaction
 * and delivers them to Kafka, running in a JVM of its own with its own schema on the
 * shared PostgreSQL. The workloads only see this interface.
 */
interface Peer extends AutoCloseable {

	/**
	 * The peer's id, for example {@code outbox}.
	 * @return the id
	 */
	String id();

	/**
	 * What the table header calls the peer, with its version.
	 * @return the display name
	 */
	String displayName();

	/**
	 * The topic the peer delivers to.
	 * @return the topic
	 */
	String topic();

	/**
	 * Transactions on the peer's database.
	 * @return the transaction template
	 */
	TransactionTemplate transactions();

	/**
	 * Insert the business entity (one JPA entity) in the current transaction.
	 * @param id its id, unique
	 */
	void insertEntity(long id);

	/**
	 * Record one event in the current transaction, as the peer's users do.
	 * @param event the event
	 */
	void publish(ComparedEvent event);

	/**
	 * Count the events not yet delivered (confirmed by the broker).
	 * @return the count
	 * @throws IllegalStateException if an event failed for good
	 */
	long undelivered();

	/**
	 * Stop delivering; events written meanwhile wait. Used to measure the write path
	 * alone and to build a backlog.
	 */
	void pauseDelivery();

	/**
	 * Deliver again.
	 */
	void resumeDelivery();

	/**
	 * The PostgreSQL server's version.
	 * @return for example {@code PostgreSQL 15.10}
	 */
	String databaseVersion();

	/**
	 * Wait until every event is delivered.
	 * @param timeout how long at most
	 * @return {@link System#nanoTime()} when none was left undelivered
	 * @throws IllegalStateException if some are still undelivered after the timeout
	 */
	default long awaitDelivered(Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (undelivered() > 0) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException(
						id() + ": " + undelivered() + " events still undelivered after " + timeout);
			}
			PeerBench.sleep(TimeUnit.MILLISECONDS.toNanos(5));
		}
		return System.nanoTime();
	}

	@Override
	void close();

}
