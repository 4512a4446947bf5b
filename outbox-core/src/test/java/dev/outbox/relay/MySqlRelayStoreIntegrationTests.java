package dev.outbox.relay;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import dev.outbox.spi.Partitions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the MariaDB statements of the relay read, counted inside the database (the
 * session's handler reads), never by wall-clock time. Their rules are in
 * {@link RelayStoreRulesIntegrationTests}.
 */
class MySqlRelayStoreIntegrationTests {

	private static final List<Integer> ALL = IntStream.range(0, RelayFixture.PARTITIONS).boxed().toList();

	private RelayFixture fixture;

	private String events;

	@BeforeEach
	void setUp() {
		this.fixture = new RelayFixture("mariadb");
		this.events = this.fixture.tables.qualifiedEventTable();
	}

	@AfterEach
	void tearDown() {
		this.fixture.close();
	}

	@Test
	void fetchReadsAsManyRowsWithTwentyThousandPublishedRowsOfTheSameKeyAsWithout() throws Exception {
		for (int i = 0; i < 100; i++) {
			this.fixture.insert("orders", "hot", String.valueOf(i));
		}
		try (Connection connection = this.fixture.dataSource.getConnection()) {
			SingleConnectionDataSource single = new SingleConnectionDataSource(connection, true);
			MySqlRelayStore store = new MySqlRelayStore(single, this.fixture.tables);
			JdbcTemplate session = new JdbcTemplate(single);
			long withoutPublished = rowsRead(session, store);
			// the same key's rows kept after publication (retention), before its pending
			// ones (seq 1 to 20,000): blocking probes must not look them up
			this.fixture.jdbc.update("update " + this.events + " set seq = seq + 100000 order by seq desc");
			insertPublished(20_000, "hot");
			long withPublished = rowsRead(session, store);
			assertThat(store.fetch(ALL, 63, 500, Long.MAX_VALUE).events()).hasSize(63)
				.allSatisfy((event) -> assertThat(event.message().key()).isEqualTo("hot"));
			assertThat(withPublished).isLessThanOrEqualTo(withoutPublished * 3 / 2);
		}
	}

	@Test
	void fetchOfAHotKeyProbesOnlyTheRowsThatCanBlockNotEveryEarlierRowOfTheKey() throws Exception {
		try (Connection writer = this.fixture.dataSource.getConnection()) {
			writer.setAutoCommit(false);
			for (int i = 0; i < 500; i++) {
				this.fixture.insert(writer, "orders", "hot", String.valueOf(i), null);
			}
			writer.commit();
		}
		try (Connection connection = this.fixture.dataSource.getConnection()) {
			SingleConnectionDataSource single = new SingleConnectionDataSource(connection, true);
			MySqlRelayStore store = new MySqlRelayStore(single, this.fixture.tables);
			JdbcTemplate session = new JdbcTemplate(single);
			long before = handlerReads(session);
			assertThat(store.fetch(ALL, 500, 500, Long.MAX_VALUE).events()).hasSize(500);
			// some reads per candidate (its index entry, two probes, the cuts and the
			// read in full): 8,462 on MariaDB 10.11; a probe that reads every earlier
			// pending row of the key reads about 500 * 500 / 2 = 125,000 more
			assertThat(handlerReads(session) - before).isLessThan(25 * 500);
		}
	}

	@Test
	void fetchOfAThousandOwnedPartitionsOfWhichThreeHoldRowsReadsOnlyThoseThree() throws Exception {
		List<Integer> owned = IntStream.range(0, 1024).boxed().toList();
		List<Integer> holdingRows = List.of(5, 500, 1023);
		for (int partition : holdingRows) {
			for (int i = 0; i < 4; i++) {
				this.fixture.insert("orders", "key-" + partition, String.valueOf(i));
			}
			this.fixture.jdbc.update("update " + this.events + " set partition_no = ? where message_key = ?", partition,
					"key-" + partition);
		}
		try (Connection connection = this.fixture.dataSource.getConnection()) {
			SingleConnectionDataSource single = new SingleConnectionDataSource(connection, true);
			MySqlRelayStore store = new MySqlRelayStore(single, this.fixture.tables);
			JdbcTemplate session = new JdbcTemplate(single);
			long subqueriesBefore = subqueriesParsed(session);
			List<ClaimedEvent> events = store.fetch(owned, 8, 500, Long.MAX_VALUE).events();
			long subqueries = subqueriesParsed(session) - subqueriesBefore;
			assertThat(events).hasSize(12).map(ClaimedEvent::partition).containsOnlyElementsOf(holdingRows);
			// the two blocking probes of each partition read, the look-up of the
			// partitions that hold rows and the one of the next due time (MariaDB 10.11
			// counts each subquery twice); a statement with a branch per owned partition
			// counts over 4,000
			assertThat(subqueries).isLessThanOrEqualTo(2 * (2 * holdingRows.size() + 2));
		}
	}

	@Test
	void nextDueReadsOneEntryPerPartitionWhateverTheHeldRowsOfOtherPartitions() throws Exception {
		// one pending row in the last partition, delayed by two hours
		String lastKey = IntStream.range(0, 1000)
			.mapToObj((i) -> "key-" + i)
			.filter((key) -> Partitions.of(key, RelayFixture.PARTITIONS) == RelayFixture.PARTITIONS - 1)
			.findFirst()
			.orElseThrow();
		this.fixture.insert("orders", lastKey, "{}");
		this.fixture.jdbc.update("update " + this.events + " set available_at = utc_timestamp(6) + interval 2 hour");
		// 2,000 rows being retried in the other partitions, due earlier
		for (int i = 0; i < 2000; i++) {
			this.fixture.insert("orders", "retried-" + i, "{}");
		}
		this.fixture.jdbc.update(
				"update " + this.events + " set attempts = 1, available_at = utc_timestamp(6)"
						+ " + interval 1 hour where message_key like 'retried-%' and partition_no <> ?",
				RelayFixture.PARTITIONS - 1);
		this.fixture.jdbc.update(
				"delete from " + this.events + " where message_key like 'retried-%'" + " and partition_no = ?",
				RelayFixture.PARTITIONS - 1);
		try (Connection connection = this.fixture.dataSource.getConnection()) {
			SingleConnectionDataSource single = new SingleConnectionDataSource(connection, true);
			MySqlRelayStore store = new MySqlRelayStore(single, this.fixture.tables);
			JdbcTemplate session = new JdbcTemplate(single);
			long before = handlerReads(session);
			RelayStore.Fetched last = store.fetch(List.of(RelayFixture.PARTITIONS - 1), 63, 500, Long.MAX_VALUE);
			long reads = handlerReads(session) - before;
			assertThat(last.events()).isEmpty();
			assertThat(last.nextDue()).isBetween(Duration.ofMinutes(110), Duration.ofMinutes(120));
			// the look-up of partitions with pending rows, the fetch's and the next due
			// time's: a few index entries; an index in due-time order read from the
			// start passes over the 2,000 rows of the other partitions
			assertThat(reads).isLessThan(50);
			assertThat(store.fetch(ALL, 63, 500, Long.MAX_VALUE).nextDue()).isBetween(Duration.ofMinutes(50),
					Duration.ofMinutes(60));
		}
	}

	@Test
	void fetchKeepsPayloadsOutOfTemporaryTablesOnDisk() throws Exception {
		for (int i = 0; i < 1000; i++) {
			this.fixture.insert("orders", "key-" + (i % 100), "x".repeat(1024));
		}
		try (Connection connection = this.fixture.dataSource.getConnection()) {
			SingleConnectionDataSource single = new SingleConnectionDataSource(connection, true);
			MySqlRelayStore store = new MySqlRelayStore(single, this.fixture.tables);
			JdbcTemplate session = new JdbcTemplate(single);
			long diskTablesBefore = status(session, "CREATED_TMP_DISK_TABLES");
			assertThat(store.fetch(ALL, 64, 500, Long.MAX_VALUE).events()).hasSize(500);
			// a derived table or sort that holds the payload (a blob) goes to disk; only
			// the rows of the batch are read in full, at the end
			assertThat(status(session, "CREATED_TMP_DISK_TABLES")).isEqualTo(diskTablesBefore);
		}
	}

	private static long subqueriesParsed(JdbcTemplate session) {
		return status(session, "FEATURE_SUBQUERY");
	}

	private static long status(JdbcTemplate session, String name) {
		Long value = session.queryForObject(
				"select variable_value from information_schema.session_status where variable_name = ?", Long.class,
				name);
		return (value != null) ? value : 0;
	}

	private long rowsRead(JdbcTemplate session, MySqlRelayStore store) {
		long before = handlerReads(session);
		assertThat(store.fetch(ALL, 63, 500, Long.MAX_VALUE).events()).isNotEmpty();
		return handlerReads(session) - before;
	}

	private static long handlerReads(JdbcTemplate session) {
		Long reads = session.queryForObject(
				"select sum(variable_value) from information_schema.session_status"
						+ " where variable_name in ('HANDLER_READ_FIRST', 'HANDLER_READ_KEY', 'HANDLER_READ_LAST',"
						+ " 'HANDLER_READ_NEXT', 'HANDLER_READ_PREV', 'HANDLER_READ_RND', 'HANDLER_READ_RND_NEXT')",
				Long.class);
		return (reads != null) ? reads : 0;
	}

	private void insertPublished(int count, String key) {
		this.fixture.jdbc.update("insert into " + this.events
				+ " (seq, id, aggregate_type, aggregate_id, event_type, destination, message_key, partition_no,"
				+ " payload, content_type, headers, created_at, available_at, status, published_at)"
				+ " select s.seq, uuid(), 'order', ?, 'order-placed', 'orders', ?, p.partition_no, '{}',"
				+ " 'application/json', '{}', utc_timestamp(6), utc_timestamp(6), 'PUBLISHED', utc_timestamp(6)"
				+ " from (select partition_no from " + this.events + " limit 1) p cross join seq_1_to_" + count + " s",
				key, key);
	}

}
