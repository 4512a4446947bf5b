package dev.outbox.relay;

import java.time.Duration;
import java.time.Instant;

import dev.outbox.test.MutableClock;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link FailureWarnings}.
 */
class FailureWarningsTests {

	private final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T12:00:00Z"));

	private final FailureWarnings warnings = new FailureWarnings(this.clock, Duration.ofSeconds(30));

	@Test
	void firstFailureIsReportedAtOnceWithItsExample() {
		assertThat(this.warnings.failed(3, "event 1 to destination 'orders': timeout"))
			.startsWith("3 outbox event(s) failed to send and will be retried")
			.contains("event 1 to destination 'orders': timeout");
	}

	@Test
	void failuresWithinTheIntervalAreCountedIntoTheNextReport() {
		assertThat(this.warnings.failed(3, "a")).isNotNull();
		this.clock.advance(Duration.ofSeconds(10));
		assertThat(this.warnings.failed(5, "b")).isNull();
		this.clock.advance(Duration.ofSeconds(19));
		assertThat(this.warnings.failed(2, "c")).isNull();
		this.clock.advance(Duration.ofSeconds(1));
		assertThat(this.warnings.failed(1, "d")).startsWith("8 outbox event(s) failed to send since the last report")
			.contains("for example d");
		this.clock.advance(Duration.ofSeconds(5));
		assertThat(this.warnings.failed(1, "e")).isNull();
	}

}
