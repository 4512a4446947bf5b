package dev.outbox.jdbc;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Generates time-ordered UUIDs, version 7 (RFC 9562): 48 bits of Unix milliseconds from
 * the {@link Clock}, then a 12-bit counter that keeps ids of one generator strictly
 * increasing within a millisecond (seeded randomly each millisecond, method 1 of the
 * RFC), then 62 random bits. When the counter overflows or the clock goes back, the
 * timestamp is advanced past the last one issued, so ids never go backwards.
 * <p>
 * The random bits make ids unique across generators and processes; ids are not secrets
 * (they travel with every message), so they need not be unguessable. Each thread draws
 * them from a source of its own, seeded from a {@link SecureRandom} when the thread first
 * generates an id: concurrent writers share no random generator and its lock on the write
 * path, while the sources of threads and processes stay independent.
 */
final class UuidV7Generator {

	private static final int COUNTER_BITS = 12;

	private static final int COUNTER_MAX = (1 << COUNTER_BITS) - 1;

	private final Clock clock;

	/** 64 random bits, from the calling thread's source. */
	private final LongSupplier random;

	/**
	 * The last id's milliseconds and counter, {@code millis << 12 | counter}: updated
	 * without a lock, so concurrent writers never wait for one preempted inside it.
	 */
	private final AtomicLong last = new AtomicLong(Long.MIN_VALUE);

	UuidV7Generator(Clock clock) {
		this(clock, perThread(new SecureRandom()));
	}

	UuidV7Generator(Clock clock, Random random) {
		this(clock, random::nextLong);
	}

	private UuidV7Generator(Clock clock, LongSupplier random) {
		this.clock = clock;
		this.random = random;
	}

	private static LongSupplier perThread(SecureRandom seeds) {
		ThreadLocal<SplittableRandom> sources = ThreadLocal.withInitial(() -> new SplittableRandom(seeds.nextLong()));
		return () -> sources.get().nextLong();
	}

	UUID next() {
		long now = this.clock.millis();
		// the counter's start in a new millisecond: in its lower half, leaving the
		// upper half for the ids within that millisecond
		long seed = this.random.getAsLong() >>> (64 - (COUNTER_BITS - 1));
		long previous;
		long next;
		do {
			previous = this.last.get();
			// an overflowing counter carries into the milliseconds: the timestamp
			// advances
			next = (now > (previous >> COUNTER_BITS)) ? (now << COUNTER_BITS) | seed : previous + 1;
		}
		while (!this.last.compareAndSet(previous, next));
		long millis = next >> COUNTER_BITS;
		long msb = ((millis & 0xFFFF_FFFF_FFFFL) << 16) | (0x7L << 12) | (next & COUNTER_MAX);
		long lsb = (this.random.getAsLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
		return new UUID(msb, lsb);
	}

}
