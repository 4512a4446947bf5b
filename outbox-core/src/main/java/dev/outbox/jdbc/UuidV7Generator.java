package dev.outbox.jdbc;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Random;
import java.util.UUID;

/**
 * Generates time-ordered UUIDs, version 7 (RFC 9562): 48 bits of Unix milliseconds from
 * the {@link Clock}, then a 12-bit counter that keeps ids of one generator strictly
 * increasing within a millisecond (seeded randomly each millisecond, method 1 of the
 * RFC), then 62 random bits. When the counter overflows or the clock goes back, the
 * timestamp is advanced past the last one issued, so ids never go backwards.
 */
final class UuidV7Generator {

	private static final int COUNTER_BITS = 12;

	private static final int COUNTER_MAX = (1 << COUNTER_BITS) - 1;

	private final Clock clock;

	private final Random random;

	private long lastMillis = Long.MIN_VALUE;

	private int counter;

	UuidV7Generator(Clock clock) {
		this(clock, new SecureRandom());
	}

	UuidV7Generator(Clock clock, Random random) {
		this.clock = clock;
		this.random = random;
	}

	UUID next() {
		long millis;
		int count;
		synchronized (this) {
			long now = this.clock.millis();
			if (now > this.lastMillis) {
				this.lastMillis = now;
				// leave the upper half of the counter for ids within this millisecond
				this.counter = this.random.nextInt(1 << (COUNTER_BITS - 1));
			}
			else if (this.counter < COUNTER_MAX) {
				this.counter++;
			}
			else {
				this.lastMillis++;
				this.counter = 0;
			}
			millis = this.lastMillis;
			count = this.counter;
		}
		long msb = ((millis & 0xFFFF_FFFF_FFFFL) << 16) | (0x7L << 12) | count;
		long lsb = (this.random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
		return new UUID(msb, lsb);
	}

}
