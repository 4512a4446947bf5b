package dev.outbox.relay;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import dev.outbox.OutboxHeaders;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxRelayListener;
import dev.outbox.test.CpuLoad;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The relay's promises on every database, against real Kafka: delivery with every header
 * then the row deleted, a poison event parked while other keys flow and its key waits,
 * partitions of a dead instance taken over, and two instances sharing the partitions
 * without loss, reordering per key or double sends. The PostgreSQL-only behaviour
 * (notifications) is in {@link KafkaRelayIntegrationTests}.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
@ExtendWith(CpuLoad.Extension.class)
class KafkaRelayOnEveryDatabaseIntegrationTests extends KafkaRelayTests {

	@Parameter
	String product;

	KafkaRelayOnEveryDatabaseIntegrationTests() {
		super("relay-db-");
	}

	@Override
	String product() {
		return this.product;
	}

	@Test
	void deliversCommittedEventWithKeyPayloadAndHeadersThenDeletesIt() {
		started(this.fixture.relay().sender(sender()));
		UUID id = this.fixture.insert(this.topic, "order-1", "{\"total\":42}");
		ConsumerRecord<String, byte[]> record = this.client.awaitRecords(1).get(0);
		assertThat(record.key()).isEqualTo("order-1");
		assertThat(KafkaTestClient.value(record)).isEqualTo("{\"total\":42}");
		assertThat(KafkaTestClient.header(record, OutboxHeaders.MESSAGE_ID)).isEqualTo(id.toString());
		assertThat(KafkaTestClient.header(record, OutboxHeaders.EVENT_TYPE)).isEqualTo("order-placed");
		assertThat(KafkaTestClient.header(record, OutboxHeaders.AGGREGATE_TYPE)).isEqualTo("order");
		assertThat(KafkaTestClient.header(record, OutboxHeaders.AGGREGATE_ID)).isEqualTo("order-1");
		assertThat(KafkaTestClient.header(record, OutboxHeaders.TRACEPARENT)).startsWith("00-0af7651916cd43dd");
		assertThat(KafkaTestClient.header(record, "contentType")).isEqualTo("application/json");
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.status(id).equals("DELETED"));
	}

	@Test
	void poisonEventIsParkedAfterMaxAttemptsWhileOtherKeysFlowAndItsKeyWaits() {
		RecordingSender sender = RecordingSender.failing(sender(), (m) -> m.key().equals("poison"));
		started(this.fixture.relay().sender(sender).maxAttempts(3));
		UUID poison = this.fixture.insert(this.topic, "poison", "p1");
		UUID poisonNext = this.fixture.insert(this.topic, "poison", "p2");
		List<UUID> healthy = new ArrayList<>();
		for (int i = 0; i < 5; i++) {
			healthy.add(this.fixture.insert(this.topic, "key-" + i, "h" + i));
		}
		await().atMost(Duration.ofSeconds(20)).until(() -> this.fixture.status(poison).equals("PARKED"));
		Map<String, Object> parked = this.fixture.row(poison);
		assertThat(parked.get("attempts")).isEqualTo(3);
		assertThat((String) parked.get("last_error")).contains("IllegalStateException")
			.contains("simulated broker rejection");
		for (int i = 5; i < 10; i++) {
			healthy.add(this.fixture.insert(this.topic, "key-" + i, "h" + i));
		}
		List<ConsumerRecord<String, byte[]>> records = this.client.awaitRecords(10);
		assertThat(KafkaTestClient.ids(records))
			.containsExactlyInAnyOrderElementsOf(healthy.stream().map(UUID::toString).toList());
		Map<String, Object> waiting = this.fixture.row(poisonNext);
		assertThat(waiting.get("status")).isEqualTo("PENDING");
		assertThat(waiting.get("attempts")).isEqualTo(0);
	}

	@Test
	void partitionsTakenOverWhenTheirLeasesRunOutAreRelayedAtOnceNotAtTheNextPoll() {
		// every partition still leased for a few seconds by an instance that is gone
		for (int partition = 0; partition < RelayFixture.PARTITIONS; partition++) {
			this.fixture.jdbc.update("insert into " + this.fixture.tables.qualifiedLeaseTable()
					+ " (partition_no, owner, lease_until) values (?, 'gone', " + this.fixture.nowPlusSeconds(5) + ")",
					partition);
		}
		// a sender warmed up: a first send slower than the short send timeout would fail,
		// and only the next poll would try again
		OutboxRelay relay = started(this.fixture.relay()
			.sender(warmedUpSender())
			.pollInterval(Duration.ofMinutes(5))
			.sendTimeout(Duration.ofSeconds(1))
			.leaseDuration(Duration.ofSeconds(3)));
		assertThat(relay.ownedPartitions()).isEmpty();
		UUID id = this.fixture.insert(this.topic, "key-t", "taken over");
		// nothing wakes the relay and it does not poll again: only the heartbeat that
		// takes the partitions over can get the event sent
		await().atMost(Duration.ofSeconds(15)).until(() -> this.fixture.status(id).equals("DELETED"));
		assertThat(relay.ownedPartitions()).hasSize(RelayFixture.PARTITIONS);
	}

	@Test
	void aDelayedEventIsSentWhenItFallsDueNotAtTheNextPoll() throws Exception {
		// delivered by the first pass; after it the relay waits for the 5-minute poll
		UUID first = this.fixture.insert(this.topic, "key-f", "first");
		OutboxRelay relay = started(this.fixture.relay().sender(warmedUpSender()).pollInterval(Duration.ofMinutes(5)));
		await().atMost(Duration.ofSeconds(30)).until(() -> this.fixture.status(first).equals("DELETED"));
		Instant availableAt = Instant.now().plusSeconds(2);
		UUID delayed;
		try (Connection connection = this.fixture.dataSource.getConnection()) {
			delayed = this.fixture.insert(connection, this.topic, "key-d", "delayed", availableAt);
		}
		// the wake-up its commit gives: the fetch finds nothing due yet, only the due
		// time it reads gets the event sent before the next poll
		relay.wakeUp();
		await().atMost(Duration.ofSeconds(30)).until(() -> this.fixture.status(delayed).equals("DELETED"));
		// the two records are in partitions of their own: in either order
		ConsumerRecord<String, byte[]> record = this.client.awaitRecords(2)
			.stream()
			.filter((r) -> delayed.toString().equals(KafkaTestClient.header(r, OutboxHeaders.MESSAGE_ID)))
			.findFirst()
			.orElseThrow();
		// sent when due by the database's clock, which is this machine's
		assertThat(record.timestamp()).isGreaterThanOrEqualTo(availableAt.toEpochMilli());
	}

	@Test
	void twoInstancesShareThePartitionsWithoutLossReorderingOrDoubleSends() {
		Map<UUID, AtomicInteger> sends = RecordingSender.newSends();
		List<String> violations = RecordingSender.newViolations();
		RecordingSender senderA = new RecordingSender(sender(), (m) -> false, sends, violations);
		RecordingSender senderB = new RecordingSender(sender(), (m) -> false, sends, violations);
		// failures explain a resend: a confirm slower than the send timeout (a loaded
		// machine) is retried, a legitimate duplicate (at least once), unlike one
		// instance sending what the other already sent
		Map<UUID, String> failures = new ConcurrentHashMap<>();
		OutboxRelayListener failureRecorder = new OutboxRelayListener() {

			@Override
			public void onFailed(OutboxMessage message, int attempts, String error) {
				failures.putIfAbsent(message.id(), error);
			}

		};
		OutboxRelay.Builder shortLeases = this.fixture.relay()
			.listener(failureRecorder)
			.leaseDuration(Duration.ofSeconds(6))
			.sendTimeout(Duration.ofSeconds(2))
			.batchSize(50);
		OutboxRelay a = started(shortLeases.sender(senderA).instanceId("relay-a"));
		int keys = 40;
		int perKey = 30;
		List<UUID> all = new ArrayList<>();
		for (int n = 0; n < perKey; n++) {
			if (n == 10) {
				started(this.fixture.relay()
					.listener(failureRecorder)
					.leaseDuration(Duration.ofSeconds(6))
					.sendTimeout(Duration.ofSeconds(2))
					.batchSize(50)
					.sender(senderB)
					.instanceId("relay-b"));
			}
			if (n == 20) {
				await().atMost(Duration.ofSeconds(20))
					.until(() -> this.relays.get(1).ownedPartitions().size() == RelayFixture.PARTITIONS / 2
							&& a.ownedPartitions().size() == RelayFixture.PARTITIONS / 2);
			}
			for (int k = 0; k < keys; k++) {
				all.add(this.fixture.insert(this.topic, "key-" + k, String.valueOf(n)));
			}
		}
		OutboxRelay b = this.relays.get(1);
		List<ConsumerRecord<String, byte[]>> records = this.client.awaitRecords(keys * perKey);
		// first: an event handed to a sender again although no send of it failed is a
		// double send (two instances, or one instance twice); one that failed (a confirm
		// slower than the send timeout) is retried, a legitimate duplicate
		assertThat(sends).as("events sent twice (%s) without a failed send before", violations)
			.allSatisfy((id, count) -> {
				if (count.get() > 1) {
					assertThat(failures).containsKey(id);
				}
			});
		assertThat(KafkaTestClient.ids(records))
			.containsExactlyInAnyOrderElementsOf(all.stream().map(UUID::toString).toList());
		// per key, first deliveries in order; a copy only of an event that failed
		Map<String, List<Integer>> byKey = new LinkedHashMap<>();
		Set<String> delivered = new HashSet<>();
		for (ConsumerRecord<String, byte[]> record : records) {
			String id = KafkaTestClient.header(record, OutboxHeaders.MESSAGE_ID);
			if (delivered.add(id)) {
				byKey.computeIfAbsent(record.key(), (k) -> new ArrayList<>())
					.add(Integer.parseInt(KafkaTestClient.value(record)));
			}
			else {
				assertThat(failures).as("delivered twice: %s", id).containsKey(UUID.fromString(id));
			}
		}
		byKey.forEach((key, values) -> assertThat(values).as(key).isSorted().doesNotHaveDuplicates());
		assertThat(senderA.sent.get()).isPositive();
		assertThat(senderB.sent.get()).isPositive();
		Set<Integer> union = new HashSet<>(a.ownedPartitions());
		union.addAll(b.ownedPartitions());
		assertThat(union).hasSize(RelayFixture.PARTITIONS);
		assertThat(a.ownedPartitions()).doesNotContainAnyElementsOf(b.ownedPartitions());
	}

}
