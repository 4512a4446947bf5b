package dev.outbox.benchmarks;

import java.util.concurrent.CountDownLatch;

/**
 * Holds back the tasks of an executor while closed, to pause a peer that delivers from
 * asynchronous listeners (Spring Modulith): the tasks queue up and run when it opens.
 */
final class DeliveryGate {

	private volatile CountDownLatch open = new CountDownLatch(0);

	synchronized void close() {
		if (this.open.getCount() == 0) {
			this.open = new CountDownLatch(1);
		}
	}

	synchronized void open() {
		this.open.countDown();
	}

	/**
	 * Wrap a task so that it waits for the gate to be open.
	 * @param task the task
	 * @return the wrapped task
	 */
	Runnable decorate(Runnable task) {
		return () -> {
			try {
				this.open.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
			task.run();
		};
	}

}
