package dev.outbox.relay;

/**
 * The result of one pass of the relay pipeline (claim, deliver, record).
 *
 * @param claimed the number of events claimed and handled
 * @param moreWaiting whether more events may be due at once, so the next pass should not
 * wait
 */
record RelayPass(int claimed, boolean moreWaiting) {

	static final RelayPass IDLE = new RelayPass(0, false);

}
