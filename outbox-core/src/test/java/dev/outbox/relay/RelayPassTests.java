package dev.outbox.relay;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The due times the relay loop waits for, on the monotonic clock.
 */
class RelayPassTests {

	@Test
	void theEarlierOfTwoDueTimesIsTakenOnTheMonotonicClockWhereverItWraps() {
		assertThat(RelayPass.earlier(RelayPass.NOTHING_DUE, 5)).isEqualTo(5);
		assertThat(RelayPass.earlier(5, RelayPass.NOTHING_DUE)).isEqualTo(5);
		assertThat(RelayPass.earlier(7, 5)).isEqualTo(5);
		assertThat(RelayPass.earlier(-3, 5)).isEqualTo(-3);
		// System.nanoTime() may wrap: readings compare by their difference
		assertThat(RelayPass.earlier(Long.MAX_VALUE - 10, Long.MIN_VALUE + 10)).isEqualTo(Long.MAX_VALUE - 10);
	}

}
