package dev.outbox.relay;

import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The relay's statements against real PostgreSQL: what they read and which plans they
 * run, measured inside the database (EXPLAIN), never by wall-clock time. Their rules, on
 * every database, are in {@link RelayStoreRulesIntegrationTests}.
 */
class RelayStoreIntegrationTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final List<Integer> ALL = IntStream.range(0, RelayFixture.PARTITIONS).boxed().toList();

	private RelayFixture fixture;

	private JdbcRelayStore store;

	private String events;

	@BeforeEach
	void setUp() {
		this.fixture = new RelayFixture();
		this.store = new JdbcRelayStore(this.fixture.dataSource, this.fixture.tables);
		this.events = this.fixture.tables.qualifiedEventTable();
	}

	@AfterEach
	void tearDown() {
		this.fixture.close();
	}

	@Test
	void fetchReadsAsManyRowsWithAHundredThousandParkedRowsOnAnotherDestinationAsWithout() {
		// the same keys are pending to "orders" and parked on "audit": blocking is per
		// destination, so none of the pending rows is held back
		insertRows(2000, "orders", "PENDING", 0);
		long rowsWithoutParked = rowsReadByFetch();
		List<ClaimedEvent> before = this.store.fetch(ALL, 63, 500, Long.MAX_VALUE).events();
		insertRows(100_000, "audit", "PARKED", 10);
		long rowsWithParked = rowsReadByFetch();
		List<ClaimedEvent> after = this.store.fetch(ALL, 63, 500, Long.MAX_VALUE).events();
		assertThat(after).hasSize(500)
			.map(ClaimedEvent::seq)
			.isEqualTo(before.stream().map(ClaimedEvent::seq).toList());
		// the former fetch read every parked row of the owned partitions once per
		// partition: 1.6 million rows here
		assertThat(rowsWithParked).isLessThanOrEqualTo(rowsWithoutParked * 3 / 2);
	}

	@Test
	void statementsOtherThanTheFetchAreNeverRunFromAGenericPlanCachedWhileTheTableWasTiny() throws Exception {
		this.fixture.jdbc.execute("alter table " + this.events + " set (autovacuum_enabled = false)");
		try (Connection connection = this.fixture.dataSource.getConnection()) {
			JdbcRelayStore onOneConnection = new JdbcRelayStore(new SingleConnectionDataSource(connection, true),
					this.fixture.tables);
			// the connection prepares each statement on the server once it has run it a
			// few times, and PostgreSQL then plans it once for all executions when that
			// looks no worse: on a tiny table, a scan of the whole table or partial index
			for (int i = 0; i < 12; i++) {
				UUID id = this.fixture.insert("orders", "k" + i, "{}");
				onOneConnection.fetch(ALL, 63, 500, Long.MAX_VALUE);
				onOneConnection.markFailed(List.of(new RelayStore.Failure(id, 1, "error", Duration.ZERO, false)));
				onOneConnection.markPublished(List.of(id), i % 2 == 0);
				onOneConnection.purge(Duration.ZERO, 1000);
			}
			// the fetch also marks expired rows; the purge also deletes expired rows
			List<Map<String, Object>> prepared = new JdbcTemplate(new SingleConnectionDataSource(connection, true))
				.queryForList("select statement, generic_plans, custom_plans from pg_prepared_statements"
						+ " where statement like '%outbox_event%'");
			assertThat(prepared).hasSize(8).allSatisfy((statement) -> {
				String sql = (String) statement.get("statement");
				// the fetch and the next due time that follows it in the same round trip
				boolean fetch = sql.strip().startsWith("select c.id") || sql.strip().startsWith("select case");
				assertThat(statement.get(fetch ? "custom_plans" : "generic_plans")).as(statement.toString())
					.isEqualTo(0L);
				assertThat((Long) statement.get(fetch ? "generic_plans" : "custom_plans")).as(statement.toString())
					.isPositive();
			});
		}
	}

	@Test
	void theFetchPlanCachedOnAnEmptyTableReadsABacklogByIndexOnly() throws Exception {
		this.fixture.jdbc.execute("alter table " + this.events + " set (autovacuum_enabled = false)");
		try (Connection connection = this.fixture.dataSource.getConnection()) {
			JdbcTemplate jdbc = new JdbcTemplate(new SingleConnectionDataSource(connection, true));
			jdbc.execute("prepare relay_fetch as " + numbered(this.store.fetchSql));
			connection.setAutoCommit(false);
			jdbc.execute(JdbcRelayStore.PIN_FETCH_PLAN);
			// planned now, on the empty table, and cached for the connection
			jdbc.queryForList(execute());
			connection.commit();
			insertRows(20_000, "orders", "PENDING", 0);
			UUID failing = this.fixture.insert("orders", "k2", "{}");
			this.fixture.jdbc.update("update " + this.events + " set attempts = 1 where id = ?", failing);
			jdbc.execute(JdbcRelayStore.PIN_FETCH_PLAN);
			JsonNode plan = analyzed(jdbc, execute());
			connection.commit();
			assertIndexScansOnly("the cached fetch plan", plan);
			// 16 partitions, 63 rows each at most, one probe per candidate: nothing like
			// the 20,000 rows of the table
			assertThat(rowsRead(plan)).isLessThan(3_000);
			assertThat(jdbc.queryForMap(
					"select generic_plans, custom_plans from pg_prepared_statements where name = 'relay_fetch'"))
				.containsEntry("custom_plans", 0L);
		}
	}

	@Test
	void theNextDuePlanCachedOnAnEmptyTableReadsOneEntryOrOnePerOwnedPartition() throws Exception {
		this.fixture.jdbc.execute("alter table " + this.events + " set (autovacuum_enabled = false)");
		String all = nextDue(ALL);
		String last = nextDue(List.of(RelayFixture.PARTITIONS - 1));
		try (Connection connection = this.fixture.dataSource.getConnection()) {
			JdbcTemplate jdbc = new JdbcTemplate(new SingleConnectionDataSource(connection, true));
			jdbc.execute("prepare relay_next_due as " + numbered(this.store.nextDueSql));
			connection.setAutoCommit(false);
			jdbc.execute(JdbcRelayStore.PIN_FETCH_PLAN);
			// planned now, on the empty table, and cached for the connection
			jdbc.queryForList(all);
			connection.commit();
			insertRows(20_000, "orders", "PENDING", 0);
			// held rows: retried ones, spread over the partitions, due in an hour and
			// later, the last partition's after every other one's
			insertRows(2_000, "audit", "PENDING", 1);
			this.fixture.jdbc.update("update " + this.events
					+ " set available_at = now() + interval '1 hour' + partition_no * interval '1 minute'"
					+ " where destination = 'audit'");
			jdbc.execute(JdbcRelayStore.PIN_FETCH_PLAN);
			JsonNode allPlan = analyzed(jdbc, all);
			JsonNode lastPlan = analyzed(jdbc, last);
			Long allMicros = jdbc.queryForObject(all, Long.class);
			Long lastMicros = jdbc.queryForObject(last, Long.class);
			connection.commit();
			assertIndexScansOnly("the cached next-due plan", allPlan);
			assertIndexScansOnly("the cached next-due plan", lastPlan);
			// the earliest held row of the table is in an owned partition: one entry
			assertThat(rowsRead(allPlan)).isEqualTo(1);
			assertThat(allMicros).isBetween(3_500_000_000L, 3_600_000_000L);
			// it is not: then one entry of each owned partition, never the rows of the
			// other partitions, due earlier
			assertThat(rowsRead(lastPlan)).isEqualTo(2);
			long lastDue = Duration.ofHours(1).plusMinutes(RelayFixture.PARTITIONS - 1).toNanos() / 1000;
			assertThat(lastMicros).isBetween(lastDue - 100_000_000L, lastDue);
			assertThat(jdbc.queryForMap(
					"select generic_plans, custom_plans from pg_prepared_statements where name = 'relay_next_due'"))
				.containsEntry("custom_plans", 0L);
		}
	}

	private static String nextDue(List<Integer> partitions) {
		Object[] args = JdbcRelayStore.nextDueArgs(partitions);
		return "execute relay_next_due('" + args[0] + "', '" + args[1] + "')";
	}

	private static JsonNode analyzed(JdbcTemplate jdbc, String execute) {
		return JSON.readTree(jdbc.queryForObject("explain (analyze, format json) " + execute, String.class))
			.get(0)
			.get("Plan");
	}

	@Test
	void everyStatementUsesAnIndexOnABacklogInATableThatWasNeverAnalyzed() {
		this.fixture.jdbc.execute("alter table " + this.events + " set (autovacuum_enabled = false)");
		insertRows(20_000, "orders", "PENDING", 0);
		UUID pending = this.fixture.insert("orders", "k1", "{}");
		UUID failing = this.fixture.insert("orders", "k2", "{}");
		this.fixture.jdbc.update("update " + this.events + " set attempts = 1 where id = ?", failing);
		String ids = "{" + pending + "," + failing + "}";
		assertIndexScansOnly(this.store.fetchSql, JdbcRelayStore.fetchArgs(ALL, 63, 500, Long.MAX_VALUE));
		assertIndexScansOnly(this.store.nextDueSql, JdbcRelayStore.nextDueArgs(ALL));
		assertIndexScansOnly(this.store.deleteSql, ids);
		assertIndexScansOnly(this.store.publishedSql, ids);
		assertIndexScansOnly(this.store.failedSql, 2, "error", 1000L, "PENDING", failing);
		assertIndexScansOnly(this.store.purgeSql, 3_600_000L, 1000);
		assertIndexScansOnly(this.store.expireSql, JdbcRelayStore.expireArgs(ALL, 500));
		assertIndexScansOnly(this.store.purgeExpiredSql, 3_600_000L, 1000);
	}

	private void assertIndexScansOnly(String sql, Object... args) {
		assertIndexScansOnly(sql, explain("explain (format json) ", sql, args));
	}

	/**
	 * Every scan of the event table in the plan is an index scan with an index condition.
	 */
	private static void assertIndexScansOnly(String description, JsonNode plan) {
		List<JsonNode> scans = new ArrayList<>();
		collectScans(plan, scans);
		assertThat(scans).as(description).isNotEmpty().allSatisfy((scan) -> {
			assertThat(scan.get("Node Type").asString()).as(scan.toString()).isIn("Index Scan", "Index Only Scan");
			assertThat(scan.has("Index Cond")).as(scan.toString()).isTrue();
		});
	}

	private long rowsReadByFetch() {
		return rowsRead(explain("explain (analyze, format json) ", this.store.fetchSql,
				JdbcRelayStore.fetchArgs(ALL, 63, 500, Long.MAX_VALUE)));
	}

	/** The rows the scans of the event table in an analyzed plan read, over all loops. */
	private static long rowsRead(JsonNode plan) {
		List<JsonNode> scans = new ArrayList<>();
		collectScans(plan, scans);
		return scans.stream().mapToLong((scan) -> {
			double perLoop = scan.get("Actual Rows").asDouble() + scan.path("Rows Removed by Filter").asDouble(0)
					+ scan.path("Rows Removed by Index Recheck").asDouble(0);
			return Math.round(perLoop * scan.get("Actual Loops").asDouble());
		}).sum();
	}

	private JsonNode explain(String explain, String sql, Object... args) {
		String json = this.store.pinned(() -> this.fixture.jdbc.queryForObject(explain + sql, String.class, args));
		return JSON.readTree(json).get(0).get("Plan");
	}

	/** Every plan node that reads the event table, sub-plans included. */
	private static void collectScans(JsonNode node, List<JsonNode> scans) {
		if ("outbox_event".equals(node.path("Relation Name").asString(null))
				&& !node.get("Node Type").asString().equals("ModifyTable")) {
			scans.add(node);
		}
		for (JsonNode child : node.path("Plans")) {
			collectScans(child, scans);
		}
	}

	private void insertRows(int count, String destination, String status, int attempts) {
		this.fixture.jdbc.update("insert into " + this.events
				+ " (id, aggregate_type, aggregate_id, event_type, destination, message_key, partition_no, payload,"
				+ " content_type, created_at, available_at, status, attempts)"
				+ " select gen_random_uuid(), 'order', 'k' || i, 'order-placed', ?, 'k' || i, mod(i, ?),"
				+ " '\\x7b7d'::bytea, 'application/json', now(), now(), ?, ? from generate_series(1, ?) i", destination,
				RelayFixture.PARTITIONS, status, attempts, count);
	}

	/** The statement with its placeholders numbered, as {@code prepare} takes it. */
	private static String numbered(String sql) {
		StringBuilder numbered = new StringBuilder();
		int parameter = 0;
		for (char c : sql.toCharArray()) {
			if (c == '?') {
				numbered.append('$').append(++parameter);
			}
			else {
				numbered.append(c);
			}
		}
		return numbered.toString();
	}

	private static String execute() {
		return "execute relay_fetch('" + JdbcRelayStore.fetchArgs(ALL, 63, 500, Long.MAX_VALUE)[0] + "', 63, 500, "
				+ Long.MAX_VALUE + ")";
	}

}
