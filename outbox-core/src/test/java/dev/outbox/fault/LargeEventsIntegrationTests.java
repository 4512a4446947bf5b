package dev.outbox.fault;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.outbox.relay.RelayFixture;
import dev.outbox.test.TestKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A backlog of large events drains through a relay whose heap is far smaller than the
 * backlog: batches are bounded by bytes, not only by rows. On every database.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
class LargeEventsIntegrationTests {

	@Parameter
	String product;

	private static final int EVENTS = 500;

	private static final int PAYLOAD_BYTES = 1_000_000;

	private static final int MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

	private RelayFixture fixture;

	private String topic;

	private Process child;

	private Path log;

	@BeforeEach
	void setUp() throws Exception {
		this.fixture = new RelayFixture(this.product);
		this.topic = "large-" + UUID.randomUUID();
		try (Admin admin = admin()) {
			admin
				.createTopics(List.of(new NewTopic(this.topic, 1, (short) 1)
					.configs(Map.of("max.message.bytes", String.valueOf(MAX_MESSAGE_BYTES)))))
				.all()
				.get(30, TimeUnit.SECONDS);
		}
	}

	@AfterEach
	void tearDown() throws Exception {
		if (this.fixture == null) {
			return; // skipped before the fixture: a server this machine does not have
		}
		try {
			if (this.child != null) {
				this.child.destroyForcibly();
				this.child.waitFor(10, TimeUnit.SECONDS);
			}
			if (this.log != null) {
				Files.deleteIfExists(this.log);
			}
		}
		finally {
			this.fixture.close();
		}
	}

	@Test
	void aBacklogOfFiveHundredOneMegabyteEventsDrainsThroughARelayWithA256MegabyteHeap() throws Exception {
		insertBacklog();
		this.child = startRelay();
		await().atMost(Duration.ofSeconds(180))
			.pollInterval(Duration.ofMillis(500))
			.until(() -> this.fixture.count("true") == 0 || !this.child.isAlive());
		String output = Files.readString(this.log, StandardCharsets.UTF_8);
		assertThat(output).doesNotContain("OutOfMemoryError");
		assertThat(this.child.isAlive()).as(output).isTrue();
		assertThat(this.fixture.count("true")).isZero();
		try (Admin admin = admin()) {
			TopicPartition partition = new TopicPartition(this.topic, 0);
			long end = admin.listOffsets(Map.of(partition, OffsetSpec.latest()))
				.partitionResult(partition)
				.get(30, TimeUnit.SECONDS)
				.offset();
			assertThat(end).isGreaterThanOrEqualTo(EVENTS);
		}
	}

	/**
	 * 500 MB of payloads, compressed to little by PostgreSQL (repeated text), stored as
	 * they are by MariaDB.
	 */
	private void insertBacklog() {
		String insert = "insert into " + this.fixture.tables.qualifiedEventTable()
				+ " (id, aggregate_type, aggregate_id, event_type, destination, message_key, partition_no, payload,"
				+ " content_type, created_at, available_at";
		if (this.product.equals("postgresql")) {
			this.fixture.jdbc.update(insert + ")"
					+ " select gen_random_uuid(), 'order', 'k' || i, 'order-placed', ?, 'k' || i, mod(i, 16),"
					+ " convert_to(lpad(i::text, ?, 'x'), 'UTF8'), 'text/plain', now(), now() from generate_series(1, ?) i",
					this.topic, PAYLOAD_BYTES, EVENTS);
		}
		else {
			// one event per statement: no transaction holds 500 MB of undo and redo; the
			// size as the writer stores it
			for (int i = 1; i <= EVENTS; i++) {
				this.fixture.jdbc.update(
						insert + ", headers, size_bytes) values (uuid(), 'order', ?, 'order-placed', ?, ?, ?,"
								+ " lpad(?, ?, 'x'), 'text/plain', utc_timestamp(6), utc_timestamp(6), '{}',"
								+ " length(payload) + length(headers))",
						"k" + i, this.topic, "k" + i, i % 16, i, PAYLOAD_BYTES);
			}
		}
	}

	private Process startRelay() throws Exception {
		this.log = Files.createTempFile("outbox-large-events", ".log");
		String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
		List<String> command = List.of(java, "-Xmx256m", "-XX:+ExitOnOutOfMemoryError", "-XX:TieredStopAtLevel=1",
				"-D" + RelayProcess.PRODUCT + "=" + this.product, "-cp", System.getProperty("java.class.path"),
				RelayProcess.class.getName(), this.fixture.database.url(), this.fixture.database.username(),
				this.fixture.database.password(), this.fixture.database.schema(), TestKafka.bootstrapServers(),
				"large-events", "15000", "500", "0", "none", String.valueOf(MAX_MESSAGE_BYTES));
		return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(this.log.toFile()).start();
	}

	private static Admin admin() {
		return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers()));
	}

}
