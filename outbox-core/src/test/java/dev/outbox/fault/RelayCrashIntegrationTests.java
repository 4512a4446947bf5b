package dev.outbox.fault;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import dev.outbox.OutboxHeaders;
import dev.outbox.relay.KafkaTestClient;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.relay.RelayFixture;
import dev.outbox.spi.Partitions;
import dev.outbox.test.CpuLoad;
import dev.outbox.test.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Relays killed in a separate JVM ({@code kill -9} or a halt right after the broker
 * confirms) against real PostgreSQL and Kafka: nothing committed is lost, nothing rolled
 * back is sent, per-key order of first deliveries holds, and the idempotent consumer
 * turns the redeliveries into exactly one effect per event.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
@ExtendWith(CpuLoad.Extension.class)
class RelayCrashIntegrationTests {

	@Parameter
	String product;

	private static final long LEASE_MILLIS = 2500;

	/**
	 * Batch size of a relay started after the crash to take over: the relay's default, so
	 * it drains the backlog in a few round trips to the database and the broker, not one
	 * per ten events (over a minute on a loaded machine).
	 */
	private static final int TAKEOVER_BATCH_SIZE = OutboxRelay.DEFAULT_BATCH_SIZE;

	private RelayFixture fixture;

	private String topic;

	private KafkaTestClient client;

	private final List<Process> children = new ArrayList<>();

	private final List<Path> logs = new ArrayList<>();

	/** Committed event id to its key and sequence number within the key. */
	private final Map<String, Event> committed = new ConcurrentHashMap<>();

	private final Set<String> rolledBack = ConcurrentHashMap.newKeySet();

	@BeforeEach
	void setUp() {
		this.fixture = new RelayFixture(this.product);
		this.topic = "fault-" + UUID.randomUUID();
		this.client = new KafkaTestClient(TestKafka.bootstrapServers(), this.topic);
	}

	@AfterEach
	void tearDown() throws Exception {
		if (this.fixture == null) {
			return; // skipped before the fixture: a server this machine does not have
		}
		try {
			for (Process child : this.children) {
				child.destroyForcibly();
				child.waitFor(10, TimeUnit.SECONDS);
			}
			for (Path log : this.logs) {
				Files.deleteIfExists(log);
			}
		}
		finally {
			this.client.close();
			this.fixture.close();
		}
	}

	@Test
	void relayKilledMidBatchLosesNothing() throws Exception {
		List<String> inFlight = new ArrayList<>();
		Process first = startRelay("relay-a", 10, 10, "block");
		awaitLog(0, RelayProcess.STARTED);
		int keys = 40;
		int transactions = 200;
		AtomicReference<Throwable> writerFailure = new AtomicReference<>();
		Thread writer = new Thread(() -> {
			try {
				write(keys, transactions, Duration.ofMillis(20));
			}
			catch (Throwable ex) {
				writerFailure.set(ex);
			}
		}, "fault-writer");
		writer.start();
		try {
			awaitLog(0, RelayProcess.STOPPED_IDS);
			first.destroyForcibly();
			assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
			inFlight.addAll(assertConfirmedButNotMarked(0));
			int deliveredBeforeKill = this.client.poll().size();
			startRelay("relay-b", TAKEOVER_BATCH_SIZE, 0, "none");
			writer.join(60_000);
			assertThat(writer.isAlive()).isFalse();
			assertThat(writerFailure.get()).isNull();
			assertThat(deliveredBeforeKill).isLessThan(this.committed.size());
		}
		finally {
			writer.interrupt();
		}
		List<ConsumerRecord<String, byte[]>> records = awaitAllCommittedDelivered();
		assertThat(leasesOwnedBy("relay-b")).isEqualTo(Partitions.DEFAULT_COUNT);
		assertRedelivered(records, inFlight);
		assertDeliveryGuarantees(records);
		ExactlyOnceEffects.assertOnePerEvent(this.fixture, messageIds(records), this.committed.keySet());
	}

	@Test
	void crashAfterConfirmBeforeMarkingDoneRedeliversAndDedupRemovesDuplicates() throws Exception {
		write(6, 20, Duration.ZERO);
		Process first = startRelay("relay-a", 10, 2, "halt");
		assertThat(first.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(first.exitValue()).isEqualTo(RelayProcess.HALT_STATUS);
		List<String> halted = assertConfirmedButNotMarked(0);
		startRelay("relay-b", TAKEOVER_BATCH_SIZE, 0, "none");
		List<ConsumerRecord<String, byte[]>> records = awaitAllCommittedDelivered();
		assertRedelivered(records, halted);
		assertDeliveryGuarantees(records);
		ExactlyOnceEffects.assertOnePerEvent(this.fixture, messageIds(records), this.committed.keySet());
	}

	@Test
	void oneOfThreeRelaysKilledUnderLoadLosesNothing() throws Exception {
		List<String> inFlight = new ArrayList<>();
		startRelay("relay-a", 10, 0, "none");
		startRelay("relay-b", 10, 4, "block");
		startRelay("relay-c", 10, 0, "none");
		for (int child = 0; child < 3; child++) {
			awaitLog(child, RelayProcess.STARTED);
		}
		await().atMost(Duration.ofSeconds(30))
			.until(() -> leasesOwnedBy("relay-a") > 0 && leasesOwnedBy("relay-b") > 0 && leasesOwnedBy("relay-c") > 0);
		AtomicReference<Throwable> writerFailure = new AtomicReference<>();
		Thread writer = new Thread(() -> {
			try {
				write(40, 300, Duration.ofMillis(15));
			}
			catch (Throwable ex) {
				writerFailure.set(ex);
			}
		}, "fault-writer");
		writer.start();
		try {
			awaitLog(1, RelayProcess.STOPPED_IDS);
			assertThat(leasesOwnedBy("relay-b")).isPositive();
			Process killed = this.children.get(1);
			killed.destroyForcibly();
			assertThat(killed.waitFor(10, TimeUnit.SECONDS)).isTrue();
			inFlight.addAll(assertConfirmedButNotMarked(1));
			writer.join(60_000);
			assertThat(writer.isAlive()).isFalse();
			assertThat(writerFailure.get()).isNull();
		}
		finally {
			writer.interrupt();
		}
		List<ConsumerRecord<String, byte[]>> records = awaitAllCommittedDelivered();
		await().atMost(Duration.ofSeconds(20))
			.until(() -> leasesOwnedBy("relay-a") + leasesOwnedBy("relay-c") == Partitions.DEFAULT_COUNT);
		assertThat(leasesOwnedBy("relay-b")).isZero();
		assertRedelivered(records, inFlight);
		assertDeliveryGuarantees(records);
		ExactlyOnceEffects.assertOnePerEvent(this.fixture, messageIds(records), this.committed.keySet());
	}

	/**
	 * Write events for {@code keys} keys in {@code transactions} transactions of four
	 * events each; every fifth transaction is rolled back.
	 */
	private void write(int keys, int transactions, Duration pause) throws Exception {
		int[] next = new int[keys];
		int key = 0;
		try (Connection connection = this.fixture.dataSource.getConnection()) {
			connection.setAutoCommit(false);
			for (int t = 0; t < transactions; t++) {
				boolean rollback = (t % 5 == 4);
				Map<String, Event> written = new LinkedHashMap<>();
				for (int i = 0; i < 4; i++) {
					String name = "key-" + key;
					int sequence = rollback ? -1 : next[key]++;
					UUID id = this.fixture.insert(connection, this.topic, name, String.valueOf(sequence), null);
					written.put(id.toString(), new Event(name, sequence));
					key = (key + 1) % keys;
				}
				if (rollback) {
					connection.rollback();
					this.rolledBack.addAll(written.keySet());
				}
				else {
					connection.commit();
					this.committed.putAll(written);
				}
				if (!pause.isZero()) {
					LockSupport.parkNanos(pause.toNanos());
				}
			}
		}
	}

	private List<ConsumerRecord<String, byte[]>> awaitAllCommittedDelivered() {
		await().atMost(Duration.ofSeconds(60))
			.until(() -> ids(this.client.poll()).keySet().containsAll(this.committed.keySet()));
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.count("true") == 0);
		return this.client.poll();
	}

	/**
	 * The batch a child stopped in: committed events the broker confirmed (they are on
	 * the topic) that the child never marked published. Each row is still pending, or, if
	 * the child's lease ran out meanwhile (the test's first poll of the topic can take
	 * seconds on a loaded machine), the relay that took its partition over sent it again
	 * before marking it published, so the topic holds it twice.
	 */
	private List<String> assertConfirmedButNotMarked(int child) throws IOException {
		List<String> batch = stoppedIds(child);
		assertThat(batch).isNotEmpty().allSatisfy((id) -> assertThat(this.committed).containsKey(id));
		await().atMost(Duration.ofSeconds(10)).until(() -> ids(this.client.poll()).keySet().containsAll(batch));
		for (String id : batch) {
			String row = "id = '" + UUID.fromString(id) + "'";
			if (this.fixture.count(row + " and status = 'PENDING'") == 0) {
				// read after the status: a published row's second copy is on the topic
				await().atMost(Duration.ofSeconds(10))
					.untilAsserted(() -> assertThat(ids(this.client.poll()).getOrDefault(id, 0L))
						.as("copies of %s, published although the relay stopped before marking it", id)
						.isGreaterThanOrEqualTo(2));
			}
		}
		return batch;
	}

	private static void assertRedelivered(List<ConsumerRecord<String, byte[]>> records, List<String> batch) {
		Map<String, Long> copies = ids(records);
		batch.forEach((id) -> assertThat(copies.get(id)).as(id).isGreaterThanOrEqualTo(2));
	}

	private void assertDeliveryGuarantees(List<ConsumerRecord<String, byte[]>> records) {
		Map<String, Long> copies = ids(records);
		assertThat(copies.keySet()).containsExactlyInAnyOrderElementsOf(this.committed.keySet())
			.doesNotContainAnyElementsOf(this.rolledBack);
		Set<String> seen = ConcurrentHashMap.newKeySet();
		Map<String, List<Integer>> firstDeliveries = new LinkedHashMap<>();
		for (ConsumerRecord<String, byte[]> record : records) {
			String id = KafkaTestClient.header(record, OutboxHeaders.MESSAGE_ID);
			if (seen.add(id)) {
				Event event = this.committed.get(id);
				assertThat(record.key()).isEqualTo(event.key());
				assertThat(KafkaTestClient.value(record)).isEqualTo(String.valueOf(event.sequence()));
				firstDeliveries.computeIfAbsent(record.key(), (k) -> new ArrayList<>()).add(event.sequence());
			}
		}
		firstDeliveries.forEach((key, sequences) -> assertThat(sequences).as(key)
			.containsExactlyElementsOf(java.util.stream.IntStream.range(0, sequences.size()).boxed().toList()));
	}

	private static List<String> messageIds(List<ConsumerRecord<String, byte[]>> records) {
		return records.stream().map((r) -> KafkaTestClient.header(r, OutboxHeaders.MESSAGE_ID)).toList();
	}

	private static Map<String, Long> ids(List<ConsumerRecord<String, byte[]>> records) {
		return records.stream()
			.collect(Collectors.groupingBy((r) -> KafkaTestClient.header(r, OutboxHeaders.MESSAGE_ID),
					Collectors.counting()));
	}

	private int leasesOwnedBy(String owner) {
		Integer count = this.fixture.jdbc.queryForObject(
				"select count(*) from " + this.fixture.tables.qualifiedLeaseTable() + " where owner = ?", Integer.class,
				owner);
		return (count != null) ? count : 0;
	}

	private Process startRelay(String instanceId, int batchSize, int stopAfterBatch, String stop) throws IOException {
		Path log = Files.createTempFile("outbox-fault-" + instanceId, ".log");
		this.logs.add(log);
		String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
		List<String> command = new ArrayList<>(Arrays.asList(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
				"-D" + RelayProcess.PRODUCT + "=" + this.product, "-cp", System.getProperty("java.class.path"),
				RelayProcess.class.getName()));
		command.addAll(
				List.of(this.fixture.database.url(), this.fixture.database.username(), this.fixture.database.password(),
						this.fixture.database.schema(), TestKafka.bootstrapServers(), instanceId,
						String.valueOf(LEASE_MILLIS), String.valueOf(batchSize), String.valueOf(stopAfterBatch), stop));
		Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
		this.children.add(process);
		return process;
	}

	private String log(int child) throws IOException {
		return Files.readString(this.logs.get(child), StandardCharsets.UTF_8);
	}

	private void awaitLog(int child, String text) {
		await().atMost(Duration.ofSeconds(30)).until(() -> log(child).contains(text));
	}

	private List<String> stoppedIds(int child) throws IOException {
		String log = log(child);
		return log.lines()
			.filter((line) -> line.startsWith(RelayProcess.STOPPED_IDS))
			.findFirst()
			.map((line) -> List.of(line.substring(RelayProcess.STOPPED_IDS.length()).trim().split(",")))
			.orElseThrow(() -> new AssertionError("no stop recorded in:\n" + log));
	}

	private record Event(String key, int sequence) {
	}

}
