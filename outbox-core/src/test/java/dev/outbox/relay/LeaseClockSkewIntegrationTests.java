package dev.outbox.relay;

import java.sql.Connection;
import java.time.Clock;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxRelayListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two relay instances whose clocks disagree by ten minutes share the partitions against
 * real PostgreSQL (and MariaDB) and Kafka: leases are reckoned by the database's clock,
 * so a partition never has two owners.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
class LeaseClockSkewIntegrationTests extends KafkaRelayTests {

	private static final Duration SKEW = Duration.ofMinutes(5);

	@Parameter
	String product;

	LeaseClockSkewIntegrationTests() {
		super("relay-skew-");
	}

	@Override
	String product() {
		return this.product;
	}

	@Test
	void instancesWithSkewedClocksNeverOwnAPartitionTogetherAndDeliverEverythingInOrder() throws Exception {
		Map<UUID, AtomicInteger> sends = RecordingSender.newSends();
		List<String> violations = RecordingSender.newViolations();
		List<String> failures = new CopyOnWriteArrayList<>();
		OutboxRelayListener failureRecorder = new OutboxRelayListener() {

			@Override
			public void onFailed(OutboxMessage message, int attempts, String error) {
				failures.add(message.id() + ": " + error);
			}

		};
		OutboxRelay behind = relay("relay-behind", Clock.offset(Clock.systemUTC(), SKEW.negated()), sends, violations,
				failureRecorder);
		OutboxRelay ahead = relay("relay-ahead", Clock.offset(Clock.systemUTC(), SKEW), sends, violations,
				failureRecorder);
		List<String> doubleOwners = new CopyOnWriteArrayList<>();
		Set<Integer> everOwnedBehind = ConcurrentHashMap.newKeySet();
		Set<Integer> everOwnedAhead = ConcurrentHashMap.newKeySet();
		AtomicBoolean sampling = new AtomicBoolean(true);
		Thread sampler = new Thread(() -> {
			while (sampling.get()) {
				// a partition owned by one instance before and after it is seen owned by
				// the other had two owners at that moment
				sample(behind, ahead, doubleOwners, everOwnedBehind);
				sample(ahead, behind, doubleOwners, everOwnedAhead);
				LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
			}
		}, "ownership-sampler");
		sampler.start();
		List<UUID> all = new ArrayList<>();
		try {
			// the instance behind starts first and owns every partition; the one ahead
			// finds those leases expired by its own clock
			behind.start();
			ahead.start();
			int keys = 20;
			// events due by both instances' clocks, so that both relay what they own
			// whatever clock decides due times: this test is about leases
			Instant due = Instant.now().minus(SKEW).minusSeconds(60);
			long writeUntil = System.nanoTime() + Duration.ofSeconds(8).toNanos();
			int n = 0;
			try (Connection connection = this.fixture.dataSource.getConnection()) {
				while (System.nanoTime() - writeUntil < 0) {
					for (int k = 0; k < keys; k++) {
						all.add(this.fixture.insert(connection, this.topic, "key-" + k, String.valueOf(n), due));
					}
					n++;
					// paces the writer over several heartbeats; waits for no result
					LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
				}
			}
			List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
			await().atMost(Duration.ofSeconds(30)).until(() -> {
				records.clear();
				records.addAll(this.client.poll());
				return records.size() >= all.size();
			});
			assertThat(doubleOwners).as("partitions owned by both instances at once").isEmpty();
			// both instances relay a share: the one behind is not locked out either
			await().atMost(Duration.ofSeconds(10))
				.until(() -> behind.ownedPartitions().size() + ahead.ownedPartitions().size() == RelayFixture.PARTITIONS
						&& !behind.ownedPartitions().isEmpty() && !ahead.ownedPartitions().isEmpty());
			sampling.set(false);
			sampler.join();
			assertThat(doubleOwners).as("partitions owned by both instances at once").isEmpty();
			assertThat(violations).as("failed sends reported by the relays: %s", failures).isEmpty();
			assertThat(KafkaTestClient.ids(records))
				.containsExactlyInAnyOrderElementsOf(all.stream().map(UUID::toString).toList());
			Map<String, List<Integer>> byKey = new LinkedHashMap<>();
			records.forEach((r) -> byKey.computeIfAbsent(r.key(), (k) -> new ArrayList<>())
				.add(Integer.parseInt(KafkaTestClient.value(r))));
			byKey.forEach((key, values) -> assertThat(values).as(key).isSorted().doesNotHaveDuplicates());
			assertThat(everOwnedBehind).isNotEmpty();
			assertThat(everOwnedAhead).isNotEmpty();
		}
		finally {
			sampling.set(false);
			sampler.join();
		}
	}

	private static void sample(OutboxRelay one, OutboxRelay other, List<String> doubleOwners, Set<Integer> ever) {
		Set<Integer> before = one.ownedPartitions();
		Set<Integer> others = other.ownedPartitions();
		Set<Integer> after = one.ownedPartitions();
		ever.addAll(before);
		Set<Integer> both = new HashSet<>(before);
		both.retainAll(others);
		both.retainAll(after);
		if (!both.isEmpty() && doubleOwners.size() < 10) {
			doubleOwners.add(one.instanceId() + " and " + other.instanceId() + " both own " + both);
		}
	}

	private OutboxRelay relay(String instanceId, Clock clock, Map<UUID, AtomicInteger> sends, List<String> violations,
			OutboxRelayListener listener) {
		OutboxRelay relay = this.fixture.relay()
			.instanceId(instanceId)
			.clock(clock)
			// warmed up: a first send slower than the send timeout would be a retry
			.sender(new RecordingSender(warmedUpSender(), (m) -> false, sends, violations))
			.listener(listener)
			.leaseDuration(Duration.ofSeconds(6))
			.sendTimeout(Duration.ofSeconds(2))
			.batchSize(50)
			.build();
		this.relays.add(relay);
		return relay;
	}

}
