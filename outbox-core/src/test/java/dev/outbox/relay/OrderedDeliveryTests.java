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
 * The delivery rules of the relay pipeline against an in-memory store: waves per
 * (destination, key), what a failure holds back, the send-timeout cut-off, and a sender's
 * {@link Error}. No services.
 */
class OrderedDeliveryTests {

	private final PipelineFixture fixture = new PipelineFixture();

	private final InMemoryRelayStore store = this.fixture.store;

	@Test
	void sendsTheHeadsOfAllKeysTogetherThenEachKeysNextEventOnceTheOneBeforeIsConfirmed() {
		ScriptedSender sender = ScriptedSender.waves();
		this.fixture.builder.sender(sender);
		add("a", "a1", "b", "b1", "a", "a2", "c", "c1", "a", "a3", "c", "c2");

		DeliveryOutcome outcome = this.fixture.pass();

		assertThat(sender.calls).containsExactly(List.of("a1", "b1", "c1"), List.of("a2", "c2"), List.of("a3"));
		assertThat(outcome.confirmed()).hasSize(6);
		assertThat(outcome.failed()).isEmpty();
	}

	@Test
	void keysAreDistinctPerDestination() {
		ScriptedSender sender = ScriptedSender.waves();
		this.fixture.builder.sender(sender);
		this.store.add("orders", "k", "o1");
		this.store.add("invoices", "k", "i1");
		this.store.add("orders", "k", "o2");

		this.fixture.pass();

		assertThat(sender.calls).containsExactly(List.of("o1", "i1"), List.of("o2"));
	}

	@Test
	void laterEventsOfAFailedKeyAreNotSentAndOtherKeysFlow() {
		ScriptedSender sender = ScriptedSender.waves().failing("a1", new IllegalStateException("rejected"));
		this.fixture.builder.sender(sender);
		UUID a1 = this.store.add(PipelineFixture.DESTINATION, "a", "a1");
		UUID a2 = this.store.add(PipelineFixture.DESTINATION, "a", "a2");
		UUID b1 = this.store.add(PipelineFixture.DESTINATION, "b", "b1");
		UUID b2 = this.store.add(PipelineFixture.DESTINATION, "b", "b2");

		DeliveryOutcome outcome = this.fixture.pass();

		assertThat(sender.sent()).containsExactly("a1", "b1", "b2");
		assertThat(outcome.failed()).singleElement()
			.satisfies((failed) -> assertThat(failed.event().message().id()).isEqualTo(a1));
		assertThat(outcome.heldBack()).extracting((event) -> event.message().id()).containsExactly(a2);
		assertThat(this.store.isDeleted(b1)).isTrue();
		assertThat(this.store.isDeleted(b2)).isTrue();
	}

	@Test
	void leavesTheRestOfAKeyUnsentWithoutAnAttemptOnceTheSendTimeoutIsUsedUp() {
		// the broker confirms the head, but only after the whole send timeout
		ScriptedSender sender = ScriptedSender.waves().outcome((message) -> {
			this.fixture.clock.advance(Duration.ofMillis(200));
			return CompletableFuture.completedFuture(null);
		});
		this.fixture.builder.sender(sender);
		UUID a1 = this.store.add(PipelineFixture.DESTINATION, "a", "a1");
		UUID a2 = this.store.add(PipelineFixture.DESTINATION, "a", "a2");
		UUID a3 = this.store.add(PipelineFixture.DESTINATION, "a", "a3");

		DeliveryOutcome outcome = this.fixture.pass();

		assertThat(sender.sent()).containsExactly("a1");
		assertThat(this.store.isDeleted(a1)).isTrue();
		assertThat(outcome.leftOver()).extracting((event) -> event.message().id()).containsExactly(a2, a3);
		assertThat(outcome.anyLeftOver()).isTrue();
		assertThat(this.store.row(a2).attempts).isZero();
		assertThat(this.store.row(a3).status).isEqualTo(OutboxStatus.PENDING);
		// and the next pass sends them at once
		this.fixture.pass();
		assertThat(sender.sent()).containsExactly("a1", "a2");
	}

	@Test
	void anUnconfirmedEventFailsAtTheSendTimeoutWithAnAttemptCounted() {
		ScriptedSender sender = ScriptedSender.waves()
			.outcome((message) -> ScriptedSender.payload(message).equals("a1") ? new CompletableFuture<>()
					: CompletableFuture.completedFuture(null));
		this.fixture.builder.sender(sender);
		UUID a1 = this.store.add(PipelineFixture.DESTINATION, "a", "a1");
		UUID a2 = this.store.add(PipelineFixture.DESTINATION, "a", "a2");

		DeliveryOutcome outcome = this.fixture.pass();

		assertThat(outcome.failed()).singleElement()
			.satisfies((failed) -> assertThat(failed.cause()).hasMessageContaining("send timeout of 200 ms"));
		assertThat(this.store.row(a1).attempts).isEqualTo(1);
		assertThat(this.store.row(a2).attempts).isZero();
		assertThat(sender.sent()).containsExactly("a1");
	}

	@Test
	void aSenderThatThrowsFailsTheHeadsItWasHandedWithAnAttemptEach() {
		ScriptedSender sender = ScriptedSender.waves().outcome((message) -> {
			throw new IllegalStateException("producer closed");
		});
		this.fixture.builder.sender(sender);
		UUID a1 = this.store.add(PipelineFixture.DESTINATION, "a", "a1");
		UUID a2 = this.store.add(PipelineFixture.DESTINATION, "a", "a2");
		UUID b1 = this.store.add(PipelineFixture.DESTINATION, "b", "b1");

		this.fixture.pass();

		assertThat(this.store.row(a1).attempts).isEqualTo(1);
		assertThat(this.store.row(b1).attempts).isEqualTo(1);
		assertThat(this.store.row(a2).attempts).isZero();
		assertThat(this.store.row(a1).lastError).contains("producer closed");
	}

	@Test
	void aSenderErrorIsTheRelaysFailureAndRecordsNothing() {
		ScriptedSender sender = ScriptedSender.waves().outcome((message) -> {
			throw new StackOverflowError("deep payload");
		});
		this.fixture.builder.sender(sender);
		UUID a1 = this.store.add(PipelineFixture.DESTINATION, "a", "a1");

		assertThatExceptionOfType(StackOverflowError.class).isThrownBy(this.fixture::pass);
		assertThat(this.store.row(a1).attempts).isZero();
		assertThat(this.store.row(a1).lastError).isNull();
	}

	@Test
	void anErrorCompletingAFutureIsTheRelaysFailureToo() {
		ScriptedSender sender = ScriptedSender.waves()
			.outcome((message) -> CompletableFuture.failedFuture(new OutOfMemoryError("simulated")));
		this.fixture.builder.sender(sender);
		UUID a1 = this.store.add(PipelineFixture.DESTINATION, "a", "a1");

		assertThatExceptionOfType(OutOfMemoryError.class).isThrownBy(this.fixture::pass);
		assertThat(this.store.row(a1).attempts).isZero();
	}

	@Test
	void aDestinationWithoutSenderFailsNamingTheProperties() {
		this.fixture.builder.sender(ScriptedSender.waves()).sender(new ScriptedSender("other", false));
		UUID a1 = this.store.add(PipelineFixture.DESTINATION, "a", "a1");

		this.fixture.pass();

		assertThat(this.store.row(a1).lastError).contains("No outbox sender for destination 'orders'")
			.contains("outbox.relay.destinations");
	}

	@Test
	void aCollateralFailureHoldsBackTheRestOfItsKeyToo() {
		ScriptedSender sender = ScriptedSender.waves()
			.failing("a1", new NotAttemptedException("another destination failed", null));
		this.fixture.builder.sender(sender);
		UUID a1 = this.store.add(PipelineFixture.DESTINATION, "a", "a1");
		UUID a2 = this.store.add(PipelineFixture.DESTINATION, "a", "a2");

		DeliveryOutcome outcome = this.fixture.pass();

		assertThat(sender.sent()).containsExactly("a1");
		assertThat(outcome.heldBack()).extracting((event) -> event.message().id()).containsExactly(a2);
		assertThat(this.store.row(a1).attempts).isZero();
	}

	private void add(String... keysAndPayloads) {
		for (int i = 0; i < keysAndPayloads.length; i += 2) {
			this.store.add(PipelineFixture.DESTINATION, keysAndPayloads[i], keysAndPayloads[i + 1]);
		}
	}

}
