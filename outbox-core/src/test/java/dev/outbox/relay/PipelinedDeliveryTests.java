package dev.outbox.relay;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import dev.outbox.OutboxStatus;
import dev.outbox.spi.NotAttemptedException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Delivery through a sender that keeps a key's order in flight: the whole batch in one
 * call, the confirmed prefix of each key published, the rest of a failed key held back
 * without an attempt. Against an in-memory store; no services.
 */
class PipelinedDeliveryTests {

	private final PipelineFixture fixture = new PipelineFixture();

	private final InMemoryRelayStore store = this.fixture.store;

	@Test
	void sendsAllEventsOfTheBatchInOneCallInBatchOrder() {
		ScriptedSender sender = ScriptedSender.pipelining();
		this.fixture.builder.sender(sender);
		UUID a1 = add("a", "a1");
		add("b", "b1");
		add("a", "a2");
		UUID a3 = add("a", "a3");

		DeliveryOutcome outcome = this.fixture.pass();

		assertThat(sender.calls).containsExactly(List.of("a1", "b1", "a2", "a3"));
		assertThat(outcome.confirmed()).hasSize(4);
		assertThat(this.store.isDeleted(a1)).isTrue();
		assertThat(this.store.isDeleted(a3)).isTrue();
	}

	@Test
	void publishesTheConfirmedPrefixOfAKeyAndHoldsBackItsLaterEventsEvenWhenConfirmed() {
		ScriptedSender sender = ScriptedSender.pipelining().failing("a2", new IllegalStateException("rejected"));
		this.fixture.builder.sender(sender);
		UUID a1 = add("a", "a1");
		UUID a2 = add("a", "a2");
		UUID a3 = add("a", "a3");
		UUID b1 = add("b", "b1");

		DeliveryOutcome outcome = this.fixture.pass();

		assertThat(this.store.isDeleted(a1)).isTrue();
		assertThat(this.store.row(a2).attempts).isEqualTo(1);
		assertThat(this.store.row(a2).lastError).contains("rejected");
		assertThat(this.store.row(a3).attempts).isZero();
		assertThat(this.store.row(a3).status).isEqualTo(OutboxStatus.PENDING);
		assertThat(outcome.heldBack()).extracting((event) -> event.message().id()).containsExactly(a3);
		assertThat(this.store.isDeleted(b1)).isTrue();
	}

	@Test
	void aCollateralFirstFailureCountsNoAttemptAndHoldsBackTheRestOfItsKey() {
		ScriptedSender sender = ScriptedSender.pipelining()
			.failing("a1", new NotAttemptedException("another destination failed", null));
		this.fixture.builder.sender(sender);
		UUID a1 = add("a", "a1");
		UUID a2 = add("a", "a2");

		this.fixture.pass();

		assertThat(this.store.row(a1).attempts).isZero();
		assertThat(this.store.row(a1).lastError).contains("another destination failed");
		assertThat(this.store.row(a2).attempts).isZero();
	}

	@Test
	void anUnconfirmedEventFailsAtTheSendTimeoutAndTheRestOfItsKeyIsHeldBack() {
		ScriptedSender sender = ScriptedSender.pipelining()
			.outcome((message) -> ScriptedSender.payload(message).equals("a2") ? new CompletableFuture<>()
					: CompletableFuture.completedFuture(null));
		this.fixture.builder.sender(sender);
		UUID a1 = add("a", "a1");
		UUID a2 = add("a", "a2");
		UUID a3 = add("a", "a3");
		UUID b1 = add("b", "b1");

		this.fixture.pass();

		assertThat(this.store.isDeleted(a1)).isTrue();
		assertThat(this.store.row(a2).attempts).isEqualTo(1);
		assertThat(this.store.row(a2).lastError).contains("send timeout");
		assertThat(this.store.row(a3).attempts).isZero();
		assertThat(this.store.isDeleted(b1)).isTrue();
	}

	@Test
	void aFailedKeyResumesInOrderFromItsHeadWhichIsRetriedAlone() {
		ScriptedSender sender = ScriptedSender.pipelining().failing("a1", new IllegalStateException("rejected"));
		this.fixture.builder.sender(sender);
		UUID a1 = add("a", "a1");
		UUID a2 = add("a", "a2");
		this.fixture.pass();
		sender.outcome((message) -> CompletableFuture.completedFuture(null));
		this.fixture.clock.advance(Duration.ofSeconds(1));

		this.fixture.pass();
		this.fixture.pass();

		assertThat(sender.calls).containsExactly(List.of("a1", "a2"), List.of("a1"), List.of("a2"));
		assertThat(this.store.isDeleted(a1)).isTrue();
		assertThat(this.store.isDeleted(a2)).isTrue();
	}

	@Test
	void otherSendersKeepTheirWavesInTheSameBatch() {
		ScriptedSender pipelining = new ScriptedSender("kafka", true);
		ScriptedSender waves = new ScriptedSender("rabbit", false);
		this.fixture.builder.sender(pipelining).sender(waves).broker("kafka").destination("invoices", "rabbit");
		add("a", "a1");
		this.store.add("invoices", "a", "i1");
		add("a", "a2");
		this.store.add("invoices", "a", "i2");

		this.fixture.pass();

		assertThat(pipelining.calls).containsExactly(List.of("a1", "a2"));
		assertThat(waves.calls).containsExactly(List.of("i1"), List.of("i2"));
	}

	@Test
	void aSenderErrorIsTheRelaysFailure() {
		ScriptedSender sender = ScriptedSender.pipelining()
			.outcome((message) -> CompletableFuture.failedFuture(new StackOverflowError("deep payload")));
		this.fixture.builder.sender(sender);
		UUID a1 = add("a", "a1");

		assertThatExceptionOfType(StackOverflowError.class).isThrownBy(this.fixture::pass);
		assertThat(this.store.row(a1).attempts).isZero();
	}

	private UUID add(String key, String payload) {
		return this.store.add(PipelineFixture.DESTINATION, key, payload);
	}

}
