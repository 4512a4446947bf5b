package dev.outbox.relay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import dev.outbox.OutboxTables;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When the claims mark expired events: every manual claim, and the relay thread's claims
 * once per poll interval, or at once again while more may wait; and when the next retried
 * or delayed event falls due on the claimer's clock.
 */
class BatchClaimerTests {

	private final ExpiryRecordingStore store = new ExpiryRecordingStore();

	/** The claimer's monotonic clock, moved by the tests. */
	private final AtomicLong nanoTime = new AtomicLong(1_000_000_000L);

	@Test
	void theRelayThreadMarksExpiredEventsOncePerPollInterval() {
		BatchClaimer claimer = claimer(Duration.ofMillis(200));
		claimer.claimForLoop(Set.of());
		this.nanoTime.addAndGet(Duration.ofMillis(199).toNanos());
		claimer.claimForLoop(Set.of());
		claimer.claimForLoop(Set.of());
		assertThat(this.store.expireFlags).containsExactly(true, false, false);
		this.nanoTime.addAndGet(Duration.ofMillis(1).toNanos());
		claimer.claimForLoop(Set.of());
		claimer.claimForLoop(Set.of());
		assertThat(this.store.expireFlags).containsExactly(true, false, false, true, false);
	}

	@Test
	void theRelayThreadMarksAgainAtOnceWhileMoreExpiredEventsWait() {
		BatchClaimer claimer = claimer(Duration.ofHours(1));
		this.store.moreExpired = true;
		claimer.claimForLoop(Set.of());
		claimer.claimForLoop(Set.of());
		this.store.moreExpired = false;
		claimer.claimForLoop(Set.of());
		claimer.claimForLoop(Set.of());
		assertThat(this.store.expireFlags).containsExactly(true, true, true, false);
	}

	@Test
	void aManualClaimAlwaysMarksExpiredEvents() {
		BatchClaimer claimer = claimer(Duration.ofHours(1));
		claimer.claimForLoop(Set.of());
		claimer.claim();
		claimer.claim(Set.of());
		claimer.claimForLoop(Set.of());
		assertThat(this.store.expireFlags).containsExactly(true, true, true, false);
	}

	@Test
	void theNextDueTimeTheStoreTellsCountsFromWhenTheFetchReturned() {
		BatchClaimer claimer = claimer(Duration.ofHours(1));
		assertThat(claimer.claimForLoop(Set.of()).nextDue()).isEqualTo(RelayPass.NOTHING_DUE);
		this.store.nextDue = Duration.ofMillis(1500);
		// the fetch takes 20 ms on the claimer's clock
		this.store.onFetch = () -> this.nanoTime.addAndGet(Duration.ofMillis(20).toNanos());
		long before = this.nanoTime.get();
		assertThat(claimer.claimForLoop(Set.of()).nextDue())
			.isEqualTo(before + Duration.ofMillis(20).toNanos() + Duration.ofMillis(1500).toNanos());
	}

	private BatchClaimer claimer(Duration pollInterval) {
		OutboxRelay.Builder builder = OutboxRelay.builder(new SimpleDriverDataSource(), OutboxTables.defaults())
			.pollInterval(pollInterval);
		return new BatchClaimer(this.store, (until) -> Set.of(0), new RelaySettings(builder), this.nanoTime::get);
	}

	private static final class ExpiryRecordingStore implements RelayStore {

		final List<Boolean> expireFlags = new ArrayList<>();

		boolean moreExpired;

		@Nullable Duration nextDue;

		Runnable onFetch = () -> {
		};

		@Override
		public Fetched fetch(Collection<Integer> partitions, int perPartition, int limit, long maxBytes,
				boolean expire) {
			this.expireFlags.add(expire);
			this.onFetch.run();
			return new Fetched(List.of(), 0, List.of(), expire && this.moreExpired, this.nextDue);
		}

		@Override
		public int markPublished(Collection<UUID> ids, boolean delete) {
			return 0;
		}

		@Override
		public void markFailed(List<Failure> failures) {
		}

		@Override
		public int purge(Duration retention, int limit) {
			return 0;
		}

	}

}
