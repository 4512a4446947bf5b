package dev.outbox.relay;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import dev.outbox.OutboxStatus;
import dev.outbox.spi.NotAttemptedException;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxRelayListener;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a failure means for the stored events: attempts, backoff, parking, collateral
 * failures, and what the listener hears. Against an in-memory store; no services.
 */
class OutcomeRecorderTests {

	private final PipelineFixture fixture = new PipelineFixture();

	private final InMemoryRelayStore store = this.fixture.store;

	private final ScriptedSender sender = ScriptedSender.waves().failing("a1", new IllegalStateException("rejected"));

	private final List<String> heard = new ArrayList<>();

	OutcomeRecorderTests() {
		this.fixture.builder.sender(this.sender).listener(new OutboxRelayListener() {

			@Override
			public void onFailed(OutboxMessage message, int attempts, String error) {
				OutcomeRecorderTests.this.heard.add("failed " + ScriptedSender.payload(message) + " " + attempts);
			}

			@Override
			public void onParked(OutboxMessage message, int attempts, String error) {
				OutcomeRecorderTests.this.heard.add("parked " + ScriptedSender.payload(message) + " " + attempts);
			}

		});
	}

	@Test
	void aFailedEventIsRetriedAfterTheBackoffDelayWhichGrowsPerAttempt() {
		UUID a1 = this.store.add(PipelineFixture.DESTINATION, "a", "a1");
		Instant start = this.fixture.clock.instant();

		this.fixture.pass();
		assertThat(this.store.row(a1).availableAt).isEqualTo(start.plusSeconds(1));
		this.fixture.pass();
		assertThat(this.sender.sent()).containsExactly("a1");

		this.fixture.clock.advance(Duration.ofSeconds(1));
		this.fixture.pass();
		assertThat(this.sender.sent()).containsExactly("a1", "a1");
		assertThat(this.store.row(a1).attempts).isEqualTo(2);
		assertThat(this.store.row(a1).availableAt).isEqualTo(start.plusSeconds(1 + 2));
		assertThat(this.store.row(a1).lastError).contains("rejected");
	}

	@Test
	void aRecordedRetryTellsTheRelayLoopWhenItFallsDueAndAParkedEventTellsNothing() {
		this.store.add(PipelineFixture.DESTINATION, "a", "a1");
		long oneSecond = Duration.ofSeconds(1).toNanos();

		long before = System.nanoTime();
		this.fixture.pass();
		long after = System.nanoTime();
		// attempt 1 failed: due again after the first backoff delay, 1 s
		long due = this.fixture.takeScheduledRetry();
		assertThat(due).isNotEqualTo(RelayPass.NOTHING_DUE);
		assertThat(due - before).isGreaterThanOrEqualTo(oneSecond);
		assertThat(due - after).isLessThanOrEqualTo(oneSecond);
		assertThat(this.fixture.takeScheduledRetry()).as("taken").isEqualTo(RelayPass.NOTHING_DUE);

		this.fixture.clock.advance(Duration.ofSeconds(1));
		this.fixture.pass();
		assertThat(this.fixture.takeScheduledRetry()).isNotEqualTo(RelayPass.NOTHING_DUE);
		this.fixture.clock.advance(Duration.ofSeconds(2));
		this.fixture.pass();
		// attempt 3 of 3 parked it: nothing to retry
		assertThat(this.heard).containsExactly("failed a1 1", "failed a1 2", "parked a1 3");
		assertThat(this.fixture.takeScheduledRetry()).isEqualTo(RelayPass.NOTHING_DUE);
	}

	@Test
	void anEventIsParkedAfterMaxAttemptsAndItsKeyWaitsBehindItWhileOtherKeysFlow() {
		UUID a1 = this.store.add(PipelineFixture.DESTINATION, "a", "a1");
		UUID a2 = this.store.add(PipelineFixture.DESTINATION, "a", "a2");
		for (int attempt = 0; attempt < 3; attempt++) {
			this.fixture.pass();
			this.fixture.clock.advance(Duration.ofMinutes(1));
		}
		UUID b1 = this.store.add(PipelineFixture.DESTINATION, "b", "b1");
		this.fixture.pass();

		assertThat(this.store.row(a1).status).isEqualTo(OutboxStatus.PARKED);
		assertThat(this.store.row(a1).attempts).isEqualTo(3);
		assertThat(this.store.row(a2).status).isEqualTo(OutboxStatus.PENDING);
		assertThat(this.store.row(a2).attempts).isZero();
		assertThat(this.store.isDeleted(b1)).isTrue();
		assertThat(this.sender.sent()).containsExactly("a1", "a1", "a1", "b1");
		assertThat(this.heard).containsExactly("failed a1 1", "failed a1 2", "parked a1 3");
	}

	@Test
	void aCollateralFailureCountsNoAttemptAndNeverParks() {
		this.sender.failing("a1", new NotAttemptedException("another destination failed", null));
		UUID a1 = this.store.add(PipelineFixture.DESTINATION, "a", "a1");
		for (int attempt = 0; attempt < 5; attempt++) {
			this.fixture.pass();
			this.fixture.clock.advance(Duration.ofSeconds(1));
		}

		assertThat(this.sender.sent()).hasSize(5);
		assertThat(this.store.row(a1).status).isEqualTo(OutboxStatus.PENDING);
		assertThat(this.store.row(a1).attempts).isZero();
		assertThat(this.store.row(a1).lastError).contains("another destination failed");
		assertThat(this.heard).isEmpty();
	}

	@Test
	void publishedEventsAreKeptWithARetentionAndPurgedAfterIt() {
		this.fixture.builder.retention(Duration.ofHours(1));
		UUID b1 = this.store.add(PipelineFixture.DESTINATION, "b", "b1");
		this.fixture.pass();
		assertThat(this.store.row(b1).status).isEqualTo(OutboxStatus.PUBLISHED);

		this.fixture.clock.advance(Duration.ofHours(2));
		assertThat(this.store.purge(Duration.ofHours(1), 10)).isOne();
		assertThat(this.store.isDeleted(b1)).isTrue();
	}

}
