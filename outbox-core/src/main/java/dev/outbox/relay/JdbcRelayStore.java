package dev.outbox.relay;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import dev.outbox.OutboxStatus;
import dev.outbox.OutboxTables;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxRelayListener.ExpiredEvent;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.jdbc.core.ArgumentPreparedStatementSetter;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.PreparedStatementCallback;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The relay's statements on the outbox tables. Every method borrows a connection for one
 * short transaction and returns it: no connection or row lock is held while the relay
 * waits on the broker.
 * <p>
 * Each transaction first pins the plans of its statements ({@link #PIN_PLANS}): they are
 * planned at every execution, never from a generic plan the connection cached, and
 * sequential and bitmap scans are off, so each statement keeps its index plan whatever
 * the statistics say. Otherwise a table that grew from empty without being analyzed
 * (fresh start, broker outage) keeps the plan cached for a tiny table: a scan of the
 * whole table, or of a whole partial index, for every statement.
 * <p>
 * The fetch is the exception ({@link #PIN_FETCH_PLAN}): it runs from one generic plan,
 * cached per connection, because planning it costs more than running it (about 0.4 ms
 * against 0.1 ms on a small table), which is most of the relay's latency at a steady
 * rate. That is safe because no scan is left to choose: each owned partition is read by
 * its index in seq order, and each blocking probe by the blocking index, whatever the
 * statistics said when the plan was made. So does the look-up of the next due time that
 * follows it in the same round trip: index probes only, whatever the statistics.
 */
final class JdbcRelayStore implements RelayStore {

	/**
	 * Run first in every transaction of the relay's statements: index plans only, and no
	 * JIT compilation. The fetch's estimated cost grows with the rows of a key (its
	 * blocking probe is costed per candidate row), so a hot key's backlog of a few
	 * thousand events crosses {@code jit_above_cost}: compiling then took 150 ms to
	 * seconds per fetch under load, for a statement that runs in a few milliseconds.
	 */
	static final String PIN_PLANS = "set local plan_cache_mode = force_custom_plan;"
			+ " set local enable_seqscan = off; set local enable_bitmapscan = off; set local jit = off";

	/**
	 * Run before the fetch, after {@link #PIN_PLANS} or instead of it: index plans only,
	 * from the plan the connection cached for the statement. With sequential and bitmap
	 * scans off, the fetch has one plan whatever the statistics: an index scan of
	 * {@code (partition_no, seq)} per partition and a probe of the blocking index per
	 * candidate.
	 */
	static final String PIN_FETCH_PLAN = "set local plan_cache_mode = force_generic_plan;"
			+ " set local enable_seqscan = off; set local enable_bitmapscan = off; set local jit = off";

	private static final String PENDING = "'" + OutboxStatus.PENDING.name() + "'";

	private static final String PUBLISHED = "'" + OutboxStatus.PUBLISHED.name() + "'";

	private static final String PARKED = "'" + OutboxStatus.PARKED.name() + "'";

	private static final String EXPIRED = "'" + OutboxStatus.EXPIRED.name() + "'";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final TypeReference<Map<String, Object>> HEADERS = new TypeReference<>() {
	};

	private final JdbcTemplate jdbc;

	private final TransactionTemplate transactions;

	final String expireSql;

	final String fetchSql;

	final String nextDueSql;

	final String deleteSql;

	final String publishedSql;

	final String failedSql;

	final String purgeSql;

	final String purgeExpiredSql;

	/**
	 * {@link #PIN_PLANS}, {@link #expireSql}, {@link #PIN_FETCH_PLAN}, {@link #fetchSql},
	 * {@link #nextDueSql} and {@code commit} as one string: the driver sends its
	 * statements in one go (with the transaction's {@code begin}), so a fetch costs one
	 * round trip. The driver sends no second commit for the transaction manager's: the
	 * server reported the transaction ended. The settings apply to the statements after
	 * them: each is planned when it is bound, after the ones before it ran. On an error
	 * the statements after it do not run, and the transaction manager rolls back.
	 */
	final String pinnedFetchSql;

	/**
	 * {@link #PIN_FETCH_PLAN}, {@link #fetchSql}, {@link #nextDueSql} and {@code commit}
	 * as one string, without the expiry.
	 */
	final String pinnedFetchOnlySql;

	JdbcRelayStore(DataSource dataSource, OutboxTables tables) {
		this.jdbc = new JdbcTemplate(dataSource);
		this.transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
		this.transactions.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
		String events = tables.qualifiedEventTable();
		// Pending (and parked) rows of the owned partitions past their expiry, by the
		// database's clock, are marked EXPIRED in the fetch's transaction, before the
		// fetch, so they are neither sent nor block their key; bounded per fetch, the
		// fetch below skips the rest too.
		this.expireSql = """
				update %1$s set status = %4$s where id in (
				  select id from %1$s
				  where status in (%2$s, %3$s) and expires_at is not null and expires_at <= now()
				    and partition_no = any(?::int[])
				  order by expires_at
				  limit ?
				  for update skip locked)
				returning id, destination, event_type, message_key, expires_at
				""".formatted(events, PENDING, PARKED, EXPIRED);
		// Each owned partition is read by its own index scan on (partition_no, seq),
		// bounded per partition, rather than sorting every pending row of the owned
		// partitions. The order and blocking unit is (destination, message key): a
		// candidate is skipped when an earlier row of its destination and key is parked,
		// being retried, or delayed and not due, which one probe of the blocking index
		// per candidate tells, whatever the number of such rows. So a key is blocked from
		// the first of its rows that is parked or pending but not due, and a key whose
		// head is being retried sends only that head. A row that was not delayed
		// (available_at = created_at) is due at once, whatever the clocks of writer and
		// relay say. The batch is cut, in seq order, where its payloads and headers
		// reach the byte bound (always admitting one row); "fetched" tells how many rows
		// were read before that cut. Due times are the database's clock, whatever the
		// relay's clock says, and so is expiry: an expired row is neither sent nor blocks
		// its key. "offset 0" keeps the probe a per-row subplan on the
		// blocking index: it is never turned into a join that reads every blocking row.
		this.fetchSql = """
				select c.id, c.seq, c.partition_no, c.attempts, c.aggregate_type, c.aggregate_id, c.event_type,
				       c.destination, c.routing_key, c.message_key, c.payload, c.content_type, c.headers, c.created_at,
				       c.fetched, c.expires_at
				from (
				  select f.*, sum(f.size) over (order by f.seq rows unbounded preceding) - f.size as before,
				         count(*) over () as fetched
				  from (
				    select e.* from unnest(?::int[]) p(no) cross join lateral (
				      select e.id, e.seq, e.partition_no, e.attempts, e.aggregate_type, e.aggregate_id, e.event_type,
				             e.destination, e.routing_key, e.message_key, e.payload, e.content_type,
				             e.headers::text as headers, e.created_at, e.expires_at,
				             octet_length(e.payload) + octet_length(e.headers::text) as size
				      from %1$s e
				      where e.partition_no = p.no and e.status = %2$s
				        and (e.available_at <= now() or (e.attempts = 0 and e.available_at <= e.created_at))
				        and (e.expires_at is null or e.expires_at > now())
				        and not exists (
				          select 1 from %1$s b
				          where b.destination = e.destination and b.message_key = e.message_key and b.seq < e.seq
				            and (b.status = %3$s or (b.status = %2$s and (b.attempts > 0 or b.available_at > b.created_at)))
				            and (b.status = %3$s or b.attempts > 0 or b.available_at > now())
				            and (b.expires_at is null or b.expires_at > now())
				          offset 0)
				      order by e.seq
				      limit ?
				    ) e
				    order by e.seq
				    limit ?
				  ) f
				) c
				where c.before < ?
				order by c.seq
				"""
			.formatted(events, PENDING, PARKED);
		// How long until the earliest pending row of the owned partitions that is being
		// retried or was delayed, and is not due yet, falls due, in microseconds by the
		// database's clock (no row or null if there is none): the relay waits no longer
		// than that. The earliest such row of the table is one entry of the next-due
		// index (migration V4); only when it is in a partition another relay owns is
		// each owned partition looked up, one entry each of the per-partition index,
		// whatever the rows of the partitions other relays own (the scalar subquery runs
		// only in that branch).
		String held = "e.status = " + PENDING + " and (e.attempts > 0 or e.available_at > e.created_at)"
				+ " and e.available_at > now()";
		this.nextDueSql = """
				select case when g.partition_no = any(?::int[]) then g.micros
				            else (select cast(extract(epoch from (min(n.available_at) - now())) * 1000000 as bigint)
				                  from unnest(?::int[]) p(no) cross join lateral (
				                    select e.available_at from %1$s e
				                    where e.partition_no = p.no and %2$s
				                    order by e.available_at
				                    limit 1
				                  ) n)
				       end
				from (
				  select e.partition_no, cast(extract(epoch from (e.available_at - now())) * 1000000 as bigint) as micros
				  from %1$s e
				  where %2$s
				  order by e.available_at
				  limit 1
				) g
				"""
			.formatted(events, held);
		// The statements by id find their rows by primary key. They say "still
		// pending" as "neither published nor parked", not as status = PENDING, which
		// would let the planner scan the whole partial pending index instead: an index
		// created on an empty table looks empty to the planner until the table is
		// analyzed.
		String stillPending = " and status <> " + PUBLISHED + " and status <> " + PARKED;
		this.deleteSql = "delete from " + events + " where id = any(?::uuid[])" + stillPending;
		this.publishedSql = "update " + events + " set status = " + PUBLISHED
				+ ", published_at = now() where id = any(?::uuid[])" + stillPending;
		this.failedSql = "update " + events
				+ " set attempts = ?, last_error = ?, available_at = now() + ? * interval '1 millisecond', status = ?"
				+ " where id = ?" + stillPending + " and status <> " + EXPIRED;
		this.purgeSql = "delete from " + events + " where id in (select id from " + events + " where status = "
				+ PUBLISHED + " and published_at < now() - ? * interval '1 millisecond'"
				+ " order by published_at limit ? for update skip locked)";
		this.purgeExpiredSql = "delete from " + events + " where id in (select id from " + events + " where status = "
				+ EXPIRED + " and expires_at < now() - ? * interval '1 millisecond'"
				+ " order by expires_at limit ? for update skip locked)";
		this.pinnedFetchSql = PIN_PLANS + ";\n" + this.expireSql + ";\n" + PIN_FETCH_PLAN + ";\n" + this.fetchSql
				+ ";\n" + this.nextDueSql + ";\ncommit";
		this.pinnedFetchOnlySql = PIN_FETCH_PLAN + ";\n" + this.fetchSql + ";\n" + this.nextDueSql + ";\ncommit";
	}

	/**
	 * When asked, mark up to {@code limit} expired pending or parked events of the given
	 * partitions {@code EXPIRED}; then read due pending events of the given partitions in
	 * seq order, skipping expired ones and those behind a blocked (destination, key), up
	 * to a number of rows and of bytes.
	 * @param partitions the partitions
	 * @param perPartition the most events read from one partition
	 * @param limit the most events returned, and the most events marked expired
	 * @param maxBytes the most payload and header bytes returned (at least one event is
	 * returned if any is due)
	 * @param expire whether to mark expired events first
	 * @return the events
	 */
	@Override
	public Fetched fetch(Collection<Integer> partitions, int perPartition, int limit, long maxBytes, boolean expire) {
		Object[] expireArgs = expire ? expireArgs(partitions, limit) : new Object[0];
		Object[] fetchArgs = fetchArgs(partitions, perPartition, limit, maxBytes);
		Object[] nextDueArgs = nextDueArgs(partitions);
		Object[] args = new Object[expireArgs.length + fetchArgs.length + nextDueArgs.length];
		System.arraycopy(expireArgs, 0, args, 0, expireArgs.length);
		System.arraycopy(fetchArgs, 0, args, expireArgs.length, fetchArgs.length);
		System.arraycopy(nextDueArgs, 0, args, expireArgs.length + fetchArgs.length, nextDueArgs.length);
		String sql = expire ? this.pinnedFetchSql : this.pinnedFetchOnlySql;
		return this.transactions
			.execute((status) -> this.jdbc.execute(sql, (PreparedStatementCallback<Fetched>) (statement) -> {
				new ArgumentPreparedStatementSetter(args).setValues(statement);
				return fetched(statement, limit, expire);
			}));
	}

	/**
	 * Run the pinned fetch and read its result sets: the expired events (when it marks
	 * them), the fetched ones, then the time until the next due (the settings before them
	 * have update counts, no result set).
	 */
	private static Fetched fetched(PreparedStatement statement, int limit, boolean expire) throws SQLException {
		List<ExpiredEvent> expired = new ArrayList<>();
		List<ClaimedEvent> events = new ArrayList<>();
		Duration nextDue = null;
		int read = 0;
		int resultSets = 0;
		int fetchResult = expire ? 1 : 0;
		boolean isResultSet = statement.execute();
		while (isResultSet || statement.getUpdateCount() != -1) {
			if (isResultSet) {
				try (ResultSet rs = statement.getResultSet()) {
					while (rs.next()) {
						if (resultSets < fetchResult) {
							expired.add(expired(rs));
						}
						else if (resultSets == fetchResult) {
							read = rs.getInt(15);
							events.add(map(rs));
						}
						else {
							Long micros = rs.getObject(1, Long.class);
							nextDue = (micros != null) ? Duration.of(micros, ChronoUnit.MICROS) : null;
						}
					}
				}
				resultSets++;
			}
			isResultSet = statement.getMoreResults();
		}
		int expected = fetchResult + 2;
		if (resultSets != expected) {
			throw new IllegalStateException(
					"The pinned fetch returned " + resultSets + " result sets, not " + expected);
		}
		return new Fetched(events, events.isEmpty() ? 0 : read, expired, expired.size() >= limit, nextDue);
	}

	static Object[] fetchArgs(Collection<Integer> partitions, int perPartition, int limit, long maxBytes) {
		return new Object[] { array(partitions), perPartition, limit, maxBytes };
	}

	static Object[] nextDueArgs(Collection<Integer> partitions) {
		String array = array(partitions);
		return new Object[] { array, array };
	}

	static Object[] expireArgs(Collection<Integer> partitions, int limit) {
		return new Object[] { array(partitions), limit };
	}

	private static String array(Collection<Integer> partitions) {
		return partitions.stream().map(String::valueOf).collect(Collectors.joining(",", "{", "}"));
	}

	/**
	 * Delete the given pending events, or mark them published at the database's current
	 * time.
	 */
	@Override
	public int markPublished(Collection<UUID> ids, boolean delete) {
		String array = ids.stream().map(UUID::toString).collect(Collectors.joining(",", "{", "}"));
		return pinned(() -> this.jdbc.update(delete ? this.deleteSql : this.publishedSql, array));
	}

	@Override
	public void markFailed(List<Failure> failures) {
		pinned(() -> this.jdbc.batchUpdate(this.failedSql, failures, failures.size(), (ps, failure) -> {
			ps.setInt(1, failure.attempts());
			ps.setString(2, failure.error());
			ps.setLong(3, failure.delay().toMillis());
			ps.setString(4, (failure.parked() ? OutboxStatus.PARKED : OutboxStatus.PENDING).name());
			ps.setObject(5, failure.id());
		}));
	}

	/**
	 * Delete up to {@code limit} published events older than the retention, and up to
	 * {@code limit} expired events whose expiry is older than the retention, by the
	 * database's clock.
	 * @return the larger of the two counts
	 */
	@Override
	public int purge(Duration retention, int limit) {
		return pinned(() -> Math.max(this.jdbc.update(this.purgeSql, retention.toMillis(), limit),
				this.jdbc.update(this.purgeExpiredSql, retention.toMillis(), limit)));
	}

	/**
	 * Run statements in one short transaction that pins index plans.
	 */
	<T> T pinned(Supplier<T> statements) {
		List<T> result = new ArrayList<>(1);
		this.transactions.executeWithoutResult((status) -> {
			this.jdbc.execute(PIN_PLANS);
			result.add(statements.get());
		});
		return result.get(0);
	}

	private static ClaimedEvent map(ResultSet rs) throws SQLException {
		OutboxMessage message = new OutboxMessage(rs.getObject(1, UUID.class), rs.getString(8), rs.getString(9),
				rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(10), rs.getBytes(11), rs.getString(12),
				headers(rs.getString(13)), rs.getObject(14, OffsetDateTime.class).toInstant(),
				instant(rs.getObject(16, OffsetDateTime.class)));
		return new ClaimedEvent(message, rs.getLong(2), rs.getInt(3), rs.getInt(4));
	}

	private static ExpiredEvent expired(ResultSet rs) throws SQLException {
		return new ExpiredEvent(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4),
				rs.getObject(5, OffsetDateTime.class).toInstant());
	}

	private static @Nullable Instant instant(@Nullable OffsetDateTime timestamp) {
		return (timestamp != null) ? timestamp.toInstant() : null;
	}

	static Map<String, String> headers(String json) {
		if (json == null || json.equals("{}")) {
			return Map.of();
		}
		Map<String, String> headers = new LinkedHashMap<>();
		JSON.readValue(json, HEADERS).forEach((name, value) -> headers.put(name, String.valueOf(value)));
		return headers;
	}

}
