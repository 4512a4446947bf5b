package dev.outbox.benchmarks;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

import org.jspecify.annotations.Nullable;

import org.springframework.core.Ordered;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * What a workload works with in a peer's JVM: the peer, the consumer of its topic, the
 * options, and ids that are unique across the workloads.
 *
 * @param peer the peer
 * @param probe the consumer of the peer's topic
 * @param options the options of the run
 * @param ids the last id used
 */
record PeerBench(Peer peer, TopicProbe probe, CompareOptions options, AtomicLong ids) {

	/**
	 * How long a peer may take to deliver what a workload wrote.
	 */
	static final Duration DELIVERY_TIMEOUT = Duration.ofMinutes(10);

	long nextId() {
		return this.ids.incrementAndGet();
	}

	/**
	 * Deliver everything written so far, untimed, so that the next workload starts from
	 * an empty store.
	 */
	void resumeAndDrain() {
		this.peer.resumeDelivery();
		this.peer.awaitDelivered(DELIVERY_TIMEOUT);
	}

	/**
	 * Run writer threads and wait for them.
	 * @param writers how many
	 * @param writer the work of writer {@code 0..writers-1}
	 * @return {@link System#nanoTime()} when the last writer was done
	 * @throws IllegalStateException with the first writer's failure
	 */
	static long runWriters(int writers, IntConsumer writer) {
		CountDownLatch done = new CountDownLatch(writers);
		AtomicReference<@Nullable RuntimeException> failure = new AtomicReference<>();
		for (int w = 0; w < writers; w++) {
			int index = w;
			Thread thread = new Thread(() -> {
				try {
					writer.accept(index);
				}
				catch (RuntimeException ex) {
					failure.compareAndSet(null, ex);
				}
				finally {
					done.countDown();
				}
			}, "writer-" + w);
			thread.start();
		}
		try {
			done.await();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
		if (failure.get() != null) {
			throw failure.get();
		}
		return System.nanoTime();
	}

	/**
	 * Run an action after the current transaction commits, before any other after-commit
	 * callback (so before the peers' own).
	 * @param action the action
	 */
	static void afterCommit(Runnable action) {
		TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

			@Override
			public int getOrder() {
				return Ordered.HIGHEST_PRECEDENCE;
			}

			@Override
			public void afterCommit() {
				action.run();
			}

		});
	}

	static void sleep(long nanos) {
		try {
			TimeUnit.NANOSECONDS.sleep(nanos);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
