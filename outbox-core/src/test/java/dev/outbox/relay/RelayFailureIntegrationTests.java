package dev.outbox.relay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import dev.outbox.kafka.KafkaOutboxSender;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxRelayListener;
import dev.outbox.spi.OutboxSender;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Failures of the relay itself against real Kafka, on every database: an {@link Error} in
 * a sender, and an error text the database cannot store.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
class RelayFailureIntegrationTests extends KafkaRelayTests {

	@Parameter
	String product;

	RelayFailureIntegrationTests() {
		super("relay-failure-");
	}

	@Override
	String product() {
		return this.product;
	}

	@Test
	void aRelayWhoseSenderThrowsAnErrorGivesUpAndReleasesItsPartitionsWithoutCountingAttempts() {
		AtomicInteger errors = new AtomicInteger();
		OutboxSender overflowing = new OutboxSender() {

			@Override
			public String name() {
				return "kafka";
			}

			@Override
			public CompletableFuture<Void> send(OutboxMessage message) {
				errors.incrementAndGet();
				throw new StackOverflowError("simulated: the sender overflowed its stack");
			}

		};
		// warmed up: a first send slower than the send timeout would be a retry
		RecordingSender healthy = new RecordingSender(warmedUpSender(), (m) -> false, RecordingSender.newSends(),
				RecordingSender.newViolations());
		List<String> failures = new CopyOnWriteArrayList<>();
		OutboxRelayListener failureRecorder = new OutboxRelayListener() {

			@Override
			public void onFailed(OutboxMessage message, int attempts, String error) {
				failures.add(message.id() + ": " + error);
			}

			@Override
			public void onParked(OutboxMessage message, int attempts, String error) {
				failures.add(message.id() + " parked: " + error);
			}

		};
		OutboxRelay broken = started(relay("relay-broken", overflowing, failureRecorder));
		assertThat(broken.ownedPartitions()).hasSize(RelayFixture.PARTITIONS);
		OutboxRelay relay = started(relay("relay-healthy", healthy, failureRecorder));
		int keys = 20;
		int perKey = 10;
		List<UUID> all = new ArrayList<>();
		for (int n = 0; n < perKey; n++) {
			for (int k = 0; k < keys; k++) {
				all.add(this.fixture.insert(this.topic, "key-" + k, String.valueOf(n)));
			}
		}

		// the failure is set on the relay thread just before it stops counting as running
		await().atMost(Duration.ofSeconds(20)).until(() -> broken.failure() != null && !broken.isRunning());
		assertThat(broken.failure()).isInstanceOf(StackOverflowError.class);
		assertThat(broken.ownedPartitions()).isEmpty();
		assertThat(this.fixture.jdbc.queryForObject(
				"select count(*) from " + this.fixture.tables.qualifiedLeaseTable() + " where owner = 'relay-broken'",
				Integer.class))
			.isZero();
		assertThat(this.fixture.jdbc
			.queryForList("select instance_id from " + this.fixture.tables.qualifiedInstanceTable(), String.class))
			.containsExactly("relay-healthy");

		List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
		await().atMost(Duration.ofSeconds(30)).until(() -> {
			records.clear();
			records.addAll(this.client.poll());
			return records.size() >= all.size();
		});
		assertThat(KafkaTestClient.ids(records))
			.containsExactlyInAnyOrderElementsOf(all.stream().map(UUID::toString).toList());
		Map<String, List<Integer>> byKey = new LinkedHashMap<>();
		records.forEach((r) -> byKey.computeIfAbsent(r.key(), (k) -> new ArrayList<>())
			.add(Integer.parseInt(KafkaTestClient.value(r))));
		byKey.forEach((key, values) -> assertThat(values).as(key).isSorted().doesNotHaveDuplicates());
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.count("status = 'PUBLISHED'") == all.size());
		assertThat(relay.ownedPartitions()).hasSize(RelayFixture.PARTITIONS);
		assertThat(errors.get()).isEqualTo(OutboxRelay.MAX_CONSECUTIVE_ERRORS);
		assertThat(this.fixture.count("attempts > 0")).isZero();
		assertThat(failures).isEmpty();
	}

	@Test
	void anErrorTextWithANulCharacterIsRecordedSoTheEventCountsAttemptsAndIsParked() {
		KafkaOutboxSender real = new KafkaOutboxSender(this.template);
		OutboxSender rejecting = new OutboxSender() {

			@Override
			public String name() {
				return real.name();
			}

			@Override
			public CompletableFuture<Void> send(OutboxMessage message) {
				return message.key().equals("nul")
						? CompletableFuture.failedFuture(new IllegalStateException("rejected \u0000 by the broker"))
						: real.send(message);
			}

		};
		started(this.fixture.relay().sender(rejecting).maxAttempts(3));
		UUID rejected = this.fixture.insert(this.topic, "nul", "n1");
		UUID other = this.fixture.insert(this.topic, "other", "o1");

		await().atMost(Duration.ofSeconds(20)).until(() -> this.fixture.status(rejected).equals("PARKED"));
		Map<String, Object> parked = this.fixture.row(rejected);
		assertThat(parked.get("attempts")).isEqualTo(3);
		assertThat((String) parked.get("last_error")).contains("IllegalStateException: rejected \uFFFD by the broker")
			.doesNotContain("\u0000");
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.status(other).equals("DELETED"));
	}

	private OutboxRelay.Builder relay(String instanceId, OutboxSender sender, OutboxRelayListener listener) {
		// retention keeps the published rows, so that their attempts can be checked
		return this.fixture.relay()
			.instanceId(instanceId)
			.sender(sender)
			.listener(listener)
			.retention(Duration.ofHours(1))
			.leaseDuration(Duration.ofSeconds(6))
			.sendTimeout(Duration.ofSeconds(2));
	}

}
