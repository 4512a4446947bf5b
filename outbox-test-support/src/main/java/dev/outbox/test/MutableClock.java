package dev.outbox.test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A UTC clock that tests set or move by hand; safe to read from other threads.
 */
public final class MutableClock extends Clock {

	private volatile Instant now;

	/**
	 * Create a clock standing at {@code now}.
	 * @param now the initial instant
	 */
	public MutableClock(Instant now) {
		this.now = now;
	}

	/**
	 * Set the clock to an instant, earlier or later.
	 * @param now the new instant
	 */
	public void set(Instant now) {
		this.now = now;
	}

	/**
	 * Move the clock forward.
	 * @param duration how far
	 */
	public void advance(Duration duration) {
		this.now = this.now.plus(duration);
	}

	@Override
	public ZoneId getZone() {
		return ZoneOffset.UTC;
	}

	@Override
	public Clock withZone(ZoneId zone) {
		return this;
	}

	@Override
	public Instant instant() {
		return this.now;
	}

}
