package dev.outbox.relay;

/**
 * The result of one pass of the relay pipeline (claim, deliver, record).
 *
 * @param claimed the number of events claimed and handled
 * @param moreWaiting whether more events may be due at once, so the next pass should not
 * wait
 * @param nextDue when the next event that is being retried or was delayed falls due, as
 * its fetch told ({@link System#nanoTime()}), or {@link OutcomeRecorder#NO_RETRY}
 */
record RelayPass(int claimed, boolean moreWaiting, long nextDue) {

	/**
	 * A pass that found nothing to send and no event to wait for.
	 */
	static final RelayPass IDLE = new RelayPass(0, false, OutcomeRecorder.NO_RETRY);

}
