package dev.outbox.relay;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Set;

import dev.outbox.OutboxTables;

import org.springframework.core.retry.RetryPolicy;
import org.springframework.core.retry.RetryTemplate;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

/**
 * The relay pipeline (claim, deliver, record) over an {@link InMemoryRelayStore}, on a
 * clock the test moves: no database, broker or relay thread.
 */
final class PipelineFixture {

	static final String DESTINATION = "orders";

	final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

	final InMemoryRelayStore store = new InMemoryRelayStore(this.clock);

	final OutboxRelay.Builder builder = OutboxRelay.builder(new SimpleDriverDataSource(), OutboxTables.defaults())
		.sendTimeout(Duration.ofMillis(200))
		.leaseDuration(Duration.ofSeconds(1))
		.backoff(Duration.ofSeconds(1), 2.0, Duration.ofMinutes(1), 0.0)
		.maxAttempts(3)
		.random(() -> 0.0)
		.clock(this.clock);

	private BatchClaimer claimer;

	private OrderedDelivery delivery;

	private OutcomeRecorder recorder;

	/**
	 * Build the stages from the builder's settings; call after adjusting the builder.
	 * @return this fixture
	 */
	PipelineFixture build() {
		RelaySettings settings = new RelaySettings(this.builder);
		this.claimer = new BatchClaimer(this.store, (until) -> Set.of(0), settings);
		this.delivery = new OrderedDelivery(settings.routes, settings.sendTimeout, this.clock);
		this.recorder = new OutcomeRecorder(this.store, settings, this.clock, () -> 0.0, this.builder.listener,
				new RetryTemplate(RetryPolicy.builder().maxRetries(1).delay(Duration.ZERO).build()));
		return this;
	}

	/**
	 * Run one pass of the pipeline.
	 * @return the delivery outcome
	 */
	DeliveryOutcome pass() {
		if (this.claimer == null) {
			build();
		}
		DeliveryOutcome outcome = this.delivery.deliver(this.claimer.claim().events());
		this.recorder.record(outcome);
		return outcome;
	}

	/**
	 * Run one pass of the pipeline as the relay thread does: the confirmed events are
	 * marked published in the background, and left out of the next fetch until then.
	 * @return the delivery outcome
	 */
	DeliveryOutcome concurrentPass() {
		if (this.claimer == null) {
			build();
		}
		DeliveryOutcome outcome = this.delivery.deliver(this.claimer.claim(this.recorder.unrecorded()).events());
		this.recorder.recordConcurrently(outcome);
		return outcome;
	}

	/**
	 * When the earliest retry recorded since the last call falls due, as the relay loop
	 * asks.
	 * @return a {@link System#nanoTime()} reading, or {@link RelayPass#NOTHING_DUE}
	 */
	long takeScheduledRetry() {
		return this.recorder.takeScheduledRetry();
	}

	/**
	 * Wait for the confirmed events marked in the background, if any.
	 */
	void awaitRecorded() {
		this.recorder.awaitRecorded();
	}

	/**
	 * A clock the test moves.
	 */
	static final class MutableClock extends Clock {

		private volatile Instant now;

		MutableClock(Instant now) {
			this.now = now;
		}

		void advance(Duration duration) {
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

}
