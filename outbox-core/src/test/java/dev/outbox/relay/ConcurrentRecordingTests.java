package dev.outbox.relay;

import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The relay thread marks confirmed events published in the background while it fetches
 * and sends the next batch: the events being marked are left out of that fetch, and when
 * their marking fails, the batch sent meanwhile is not marked either, so both are sent
 * again in their order. Against an in-memory store whose marking waits for the next
 * fetch; no services.
 */
class ConcurrentRecordingTests {

	private final PipelineFixture fixture = new PipelineFixture();

	private final InMemoryRelayStore store = this.fixture.store;

	private final ScriptedSender sender = ScriptedSender.waves();

	ConcurrentRecordingTests() {
		this.fixture.builder.sender(this.sender);
	}

	/**
	 * Hold the first marking until the next fetch has read the table, then run it (or
	 * fail it).
	 */
	private void firstMarkingWaitsForTheNextFetch(boolean fails) {
		CountDownLatch fetched = new CountDownLatch(2);
		this.store.afterFetch = fetched::countDown;
		this.store.beforeMarkPublished = () -> {
			try {
				assertThat(fetched.await(30, TimeUnit.SECONDS)).isTrue();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			if (fails) {
				throw new IllegalStateException("database away");
			}
		};
	}

	@Test
	void confirmedEventsBeingMarkedAreLeftOutOfTheNextFetchAndNeverSentTwice() {
		firstMarkingWaitsForTheNextFetch(false);
		UUID a1 = this.store.add(PipelineFixture.DESTINATION, "a", "a1");
		this.fixture.concurrentPass();
		UUID a2 = this.store.add(PipelineFixture.DESTINATION, "a", "a2");
		this.fixture.concurrentPass();
		this.fixture.awaitRecorded();
		this.fixture.concurrentPass();
		this.fixture.awaitRecorded();

		assertThat(this.sender.sent()).containsExactly("a1", "a2");
		assertThat(this.store.isDeleted(a1)).isTrue();
		assertThat(this.store.isDeleted(a2)).isTrue();
	}

	@Test
	void whenTheMarkingOfLeftOutEventsFailsTheBatchSentMeanwhileIsSentAgainAfterThemInOrder() {
		firstMarkingWaitsForTheNextFetch(true);
		UUID a1 = this.store.add(PipelineFixture.DESTINATION, "a", "a1");
		this.fixture.concurrentPass();
		UUID a2 = this.store.add(PipelineFixture.DESTINATION, "a", "a2");
		this.fixture.concurrentPass();
		this.store.beforeMarkPublished = () -> {
		};
		this.fixture.concurrentPass();
		this.fixture.awaitRecorded();
		this.fixture.concurrentPass();
		this.fixture.awaitRecorded();

		// never "a1" after the last "a2"
		assertThat(this.sender.sent()).containsExactly("a1", "a2", "a1", "a2");
		assertThat(this.store.isDeleted(a1)).isTrue();
		assertThat(this.store.isDeleted(a2)).isTrue();
	}

}
