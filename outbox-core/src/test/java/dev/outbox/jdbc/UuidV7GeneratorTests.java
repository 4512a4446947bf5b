package dev.outbox.jdbc;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import dev.outbox.test.MutableClock;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link UuidV7Generator}.
 */
class UuidV7GeneratorTests {

	private static final Instant NOW = Instant.parse("2030-01-02T03:04:05.678Z");

	@Test
	void idsCarryVersionVariantAndClockMillis() {
		UUID id = new UuidV7Generator(Clock.fixed(NOW, ZoneOffset.UTC)).next();
		assertThat(id.version()).isEqualTo(7);
		assertThat(id.variant()).isEqualTo(2);
		assertThat(id.getMostSignificantBits() >>> 16).isEqualTo(NOW.toEpochMilli());
	}

	@Test
	void idsIncreaseWithinOneMillisecondBeyondTheCounterRange() {
		UuidV7Generator generator = new UuidV7Generator(Clock.fixed(NOW, ZoneOffset.UTC), new Random(1));
		List<UUID> ids = new ArrayList<>();
		for (int i = 0; i < 10_000; i++) {
			ids.add(generator.next());
		}
		assertThat(ids).isSorted().doesNotHaveDuplicates();
		assertThat(ids.get(0).getMostSignificantBits() >>> 16).isEqualTo(NOW.toEpochMilli());
	}

	@Test
	void idsNeverGoBackWhenTheClockDoes() {
		MutableClock clock = new MutableClock(NOW);
		UuidV7Generator generator = new UuidV7Generator(clock);
		UUID before = generator.next();
		clock.set(NOW.minusSeconds(10));
		UUID after = generator.next();
		assertThat(after).isGreaterThan(before);
		clock.set(NOW.plusMillis(1));
		assertThat(generator.next()).isGreaterThan(after);
	}

	@Test
	void threadsSharingAGeneratorGetDistinctIdsThatIncreaseInEachThread() throws InterruptedException {
		UuidV7Generator generator = new UuidV7Generator(Clock.fixed(NOW, ZoneOffset.UTC));
		Set<UUID> all = ConcurrentHashMap.newKeySet();
		List<List<UUID>> perThread = new ArrayList<>();
		CountDownLatch start = new CountDownLatch(1);
		List<Thread> threads = new ArrayList<>();
		for (int t = 0; t < 8; t++) {
			List<UUID> ids = new ArrayList<>();
			perThread.add(ids);
			Thread thread = new Thread(() -> {
				try {
					start.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
				for (int i = 0; i < 5_000; i++) {
					ids.add(generator.next());
				}
				all.addAll(ids);
			});
			threads.add(thread);
			thread.start();
		}
		start.countDown();
		for (Thread thread : threads) {
			thread.join();
		}
		// 40,000 ids in one fixed millisecond: past the counter's range, so the
		// timestamp advanced several times
		assertThat(all).hasSize(40_000);
		for (List<UUID> ids : perThread) {
			assertThat(ids).hasSize(5_000).isSorted();
		}
		assertThat(all).allSatisfy((id) -> {
			assertThat(id.version()).isEqualTo(7);
			assertThat(id.variant()).isEqualTo(2);
		});
	}

}
