package dev.outbox.relay;

/**
 * The result of one pass of the relay pipeline (claim, deliver, record).
 *
 * @param claimed the number of events claimed and handled
 * @param moreWaiting whether more events may be due at once, so the next pass should not
 * wait
 * @param nextDue when the next event that is being retried or was delayed falls due, as
 * its fetch told ({@link System#nanoTime()}), or {@link #NOTHING_DUE}
 */
record RelayPass(int claimed, boolean moreWaiting, long nextDue) {

	/** No event to wait for, in place of a {@link System#nanoTime()} reading. */
	static final long NOTHING_DUE = Long.MAX_VALUE;

	/**
	 * A pass that found nothing to send and no event to wait for.
	 */
	static final RelayPass IDLE = new RelayPass(0, false, NOTHING_DUE);

	/**
	 * The earlier of two {@link System#nanoTime()} readings, either of which may be
	 * {@link #NOTHING_DUE}.
	 * @param one a reading
	 * @param other another reading
	 * @return the earlier one
	 */
	static long earlier(long one, long other) {
		if (one == NOTHING_DUE) {
			return other;
		}
		return (other != NOTHING_DUE && other - one < 0) ? other : one;
	}

}
