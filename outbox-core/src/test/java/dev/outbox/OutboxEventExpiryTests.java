package dev.outbox;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The expiry of an event as the builder takes it.
 */
class OutboxEventExpiryTests {

	private static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");

	private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

	@Test
	void eventDoesNotExpireUnlessAsked() {
		assertThat(OutboxEvent.of("orders", 1, "p").expiresAt()).isNull();
	}

	@Test
	void expiresAtIsKeptAsGiven() {
		Instant expiresAt = NOW.plusSeconds(30);
		assertThat(OutboxEvent.builder("orders").aggregateId(1).payload("p").expiresAt(expiresAt).build().expiresAt())
			.isEqualTo(expiresAt);
	}

	@Test
	void timeToLiveCountsFromNow() {
		OutboxEvent event = OutboxEvent.builder("orders")
			.aggregateId(1)
			.payload("p")
			.timeToLive(Duration.ofSeconds(30), CLOCK)
			.build();
		assertThat(event.expiresAt()).isEqualTo(NOW.plusSeconds(30));
		Instant before = Instant.now();
		Instant expiresAt = OutboxEvent.builder("orders")
			.aggregateId(1)
			.payload("p")
			.timeToLive(Duration.ofMinutes(1))
			.build()
			.expiresAt();
		assertThat(expiresAt).isBetween(before.plusSeconds(60), Instant.now().plusSeconds(60));
	}

	@Test
	void expiryAlreadyPastIsAcceptedTheEventExpiresUnsent() {
		Instant past = NOW.minusSeconds(1);
		assertThat(OutboxEvent.builder("orders").aggregateId(1).payload("p").expiresAt(past).build().expiresAt())
			.isEqualTo(past);
	}

	@Test
	void nullZeroAndNegativeArgumentsAreRejectedByName() {
		OutboxEvent.Builder builder = OutboxEvent.builder("orders");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.expiresAt(null))
			.withMessage("expiresAt must not be null");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.timeToLive(null))
			.withMessage("timeToLive must not be null");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.timeToLive(Duration.ofSeconds(-1)))
			.withMessage("timeToLive must be positive, was PT-1S");
		assertThatIllegalArgumentException().isThrownBy(() -> builder.timeToLive(Duration.ZERO))
			.withMessage("timeToLive must be positive, was PT0S");
	}

	@Test
	void expiryNotAfterTheEarliestDeliveryIsRejected() {
		OutboxEvent.Builder builder = OutboxEvent.builder("orders")
			.aggregateId(1)
			.payload("p")
			.availableAt(NOW.plusSeconds(60))
			.expiresAt(NOW.plusSeconds(60));
		assertThatIllegalArgumentException().isThrownBy(builder::build)
			.withMessage("expiresAt (2026-01-02T03:05:05Z) must be after availableAt (2026-01-02T03:05:05Z):"
					+ " the event could never be sent");
	}

	@Test
	void eventWithoutExpiryCanStillBeConstructedWithTheFormerComponents() {
		OutboxEvent event = new OutboxEvent("orders", null, "order", "1", "placed", "1", "p", java.util.Map.of(), null);
		assertThat(event.expiresAt()).isNull();
	}

}
