package dev.outbox.relay;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link Backoff}.
 */
class BackoffTests {

	private final Backoff backoff = new Backoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(5), 0.0);

	@Test
	void growsByTheMultiplierPerFailureFromTheInitialInterval() {
		assertThat(this.backoff.delay(1, () -> 0.5)).isEqualTo(Duration.ofMillis(100));
		assertThat(this.backoff.delay(2, () -> 0.5)).isEqualTo(Duration.ofMillis(200));
		assertThat(this.backoff.delay(3, () -> 0.5)).isEqualTo(Duration.ofMillis(400));
		assertThat(this.backoff.delay(6, () -> 0.5)).isEqualTo(Duration.ofMillis(3200));
	}

	@Test
	void isCappedAtTheMaxIntervalEvenForHugeAttemptCounts() {
		assertThat(this.backoff.delay(7, () -> 0.5)).isEqualTo(Duration.ofSeconds(5));
		assertThat(this.backoff.delay(10_000, () -> 0.5)).isEqualTo(Duration.ofSeconds(5));
		assertThat(this.backoff.delay(Integer.MAX_VALUE, () -> 0.5)).isEqualTo(Duration.ofSeconds(5));
	}

	@Test
	void treatsAttemptCountsBelowOneAsTheFirstFailure() {
		assertThat(this.backoff.delay(0, () -> 0.5)).isEqualTo(Duration.ofMillis(100));
	}

	@Test
	void jitterShortensTheDelayByAtMostItsFraction() {
		Backoff jittered = new Backoff(Duration.ofMillis(1000), 2.0, Duration.ofSeconds(60), 0.25);
		assertThat(jittered.delay(1, () -> 0.0)).isEqualTo(Duration.ofMillis(1000));
		assertThat(jittered.delay(1, () -> 0.5)).isEqualTo(Duration.ofMillis(875));
		assertThat(jittered.delay(1, () -> 0.9999)).isEqualTo(Duration.ofMillis(750));
		assertThat(jittered.delay(2, () -> 0.5)).isEqualTo(Duration.ofMillis(1750));
		// applied after the cap, so even capped delays are spread
		assertThat(jittered.delay(30, () -> 0.5)).isEqualTo(Duration.ofMillis(52_500));
	}

	@Test
	void multiplierOfOneGivesAConstantDelay() {
		Backoff constant = new Backoff(Duration.ofMillis(300), 1.0, Duration.ofMillis(300), 0.0);
		assertThat(constant.delay(1, () -> 0.5)).isEqualTo(constant.delay(50, () -> 0.5))
			.isEqualTo(Duration.ofMillis(300));
	}

	@Test
	void rejectsSettingsThatCannotBackOff() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new Backoff(Duration.ofMillis(-1), 2.0, Duration.ofSeconds(1), 0.0))
			.withMessageContaining("backoff.initial-interval");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new Backoff(Duration.ofMillis(100), 0.5, Duration.ofSeconds(1), 0.0))
			.withMessageContaining("backoff.multiplier");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new Backoff(Duration.ofSeconds(2), 2.0, Duration.ofSeconds(1), 0.0))
			.withMessageContaining("backoff.max-interval");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new Backoff(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1), 1.5))
			.withMessageContaining("backoff.jitter");
	}

}
