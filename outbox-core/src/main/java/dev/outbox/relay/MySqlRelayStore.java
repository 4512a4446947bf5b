package dev.outbox.relay;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

import javax.sql.DataSource;

import dev.outbox.OutboxStatus;
import dev.outbox.OutboxTables;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxRelayListener.ExpiredEvent;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The relay's statements on the outbox tables of MariaDB 10.6+ and MySQL 8.0+, with the
 * same rules as {@link JdbcRelayStore} (PostgreSQL). Every method borrows a connection
 * for one short transaction and returns it.
 * <p>
 * These databases have neither {@code lateral} (MariaDB), partial indexes, arrays nor
 * {@code update .. returning}: each owned partition is read by a subquery of its own on
 * the {@code (status, partition_no, seq)} index, the subqueries joined by
 * {@code union all}, for those of the owned partitions only that hold a pending row; the
 * rows that survive the cuts are then read in full by primary key. The blocking probe
 * runs on the {@code (destination, message_key, status, held, seq)} index (migration V5,
 * {@code held} marks the pending rows that were retried or delayed); expired rows are
 * selected {@code for update skip locked}, then marked. Times are {@code datetime(6)} in
 * UTC, compared with {@code utc_timestamp(6)}, the database's clock (evaluated once per
 * statement). The transactions run at {@code read committed}, so a locking read takes no
 * gap locks that would hold back the writers' inserts.
 */
final class MySqlRelayStore implements RelayStore {

	private static final String PENDING = "'" + OutboxStatus.PENDING.name() + "'";

	private static final String PUBLISHED = "'" + OutboxStatus.PUBLISHED.name() + "'";

	private static final String PARKED = "'" + OutboxStatus.PARKED.name() + "'";

	private static final String EXPIRED = "'" + OutboxStatus.EXPIRED.name() + "'";

	private static final String NOW = "utc_timestamp(6)";

	private static final String COLUMNS = "e.id, e.seq, e.partition_no, e.attempts, e.aggregate_type, e.aggregate_id, "
			+ "e.event_type, e.destination, e.routing_key, e.message_key, e.payload, e.content_type, e.headers, "
			+ "e.created_at, e.expires_at";

	private final JdbcTemplate jdbc;

	private final MySqlTransactions transactions;

	private final String events;

	private final String partitionSql;

	private final String pendingIndex;

	private final String nextDueIndex;

	private final String purgeSql;

	private final String purgeExpiredSql;

	private final String failedSql;

	MySqlRelayStore(DataSource dataSource, OutboxTables tables) {
		this.jdbc = new JdbcTemplate(dataSource);
		this.transactions = new MySqlTransactions(dataSource);
		this.events = tables.qualifiedEventTable();
		// One partition's due rows (their seq and the size the writer stored, migration
		// V4: no payload is read or carried, so the union and the sorts above it stay
		// small, in memory), by its own scan of the pending index in
		// seq order, bounded per partition. The rules are JdbcRelayStore's: a candidate
		// is skipped when an earlier row of its destination and key is parked, being
		// retried, or delayed and not due; a row that was not delayed is due at once;
		// expired rows are neither read nor block. The probe is split by status, so each
		// part reads only the parked, or the retried or delayed pending, rows of the key
		// on (destination, message_key, status, held, seq) (migration V5), never its
		// other pending, published or expired ones. The indexes are forced: the plans do
		// not depend on statistics (a table that grew from empty).
		String index = tables.eventTable();
		this.pendingIndex = index + "_pending_idx";
		this.nextDueIndex = index + "_next_due_idx";
		this.partitionSql = """
				(select e.seq, e.size_bytes as size
				 from %1$s e force index (%5$s_pending_idx)
				 where e.status = %2$s and e.partition_no = ?
				   and (e.available_at <= %4$s or (e.attempts = 0 and e.available_at <= e.created_at))
				   and (e.expires_at is null or e.expires_at > %4$s)
				   and not exists (
				     select 1 from %1$s b force index (%5$s_blocking_idx)
				     where b.destination = e.destination and b.message_key = e.message_key and b.status = %3$s
				       and b.seq < e.seq and (b.expires_at is null or b.expires_at > %4$s))
				   and not exists (
				     select 1 from %1$s b force index (%5$s_blocking_idx)
				     where b.destination = e.destination and b.message_key = e.message_key and b.status = %2$s
				       and b.held = 1 and b.seq < e.seq and (b.attempts > 0 or b.available_at > b.created_at)
				       and (b.attempts > 0 or b.available_at > %4$s)
				       and (b.expires_at is null or b.expires_at > %4$s))
				 order by e.seq
				 limit ?)""".formatted(this.events, PENDING, PARKED, NOW, index);
		String stillPending = " and status <> " + PUBLISHED + " and status <> " + PARKED;
		this.failedSql = "update " + this.events + " set attempts = ?, last_error = ?, available_at = " + NOW
				+ " + interval ? microsecond, status = ? where id = ?" + stillPending + " and status <> " + EXPIRED;
		// single-table delete with order by and limit: these databases refuse a
		// subquery on the same table, and "limit" within "in (..)"
		this.purgeSql = "delete from " + this.events + " where status = " + PUBLISHED + " and published_at < " + NOW
				+ " - interval ? microsecond order by published_at limit ?";
		this.purgeExpiredSql = "delete from " + this.events + " where status = " + EXPIRED + " and expires_at < " + NOW
				+ " - interval ? microsecond order by expires_at limit ?";
	}

	@Override
	public Fetched fetch(Collection<Integer> partitions, int perPartition, int limit, long maxBytes, boolean expire) {
		if (partitions.isEmpty()) {
			return new Fetched(List.of(), 0, List.of(), false);
		}
		return this.transactions.run(() -> {
			List<ExpiredEvent> expired = expire ? expire(partitions, limit) : List.of();
			List<PendingPartition> heads = withPendingRows(partitions);
			if (heads.isEmpty()) {
				return new Fetched(List.of(), 0, expired, expired.size() >= limit);
			}
			List<Integer> pending = heads.stream().map(PendingPartition::partition).toList();
			// the earliest of the partitions' next due times, if any
			Duration nextDue = heads.stream()
				.map(PendingPartition::nextDue)
				.filter(Objects::nonNull)
				.min(Duration::compareTo)
				.orElse(null);
			int[] read = new int[1];
			List<ClaimedEvent> events = this.jdbc.query(fetchSql(pending.size()), (rs, row) -> {
				read[0] = rs.getInt(17);
				return map(rs);
			}, fetchArgs(pending, perPartition, limit, maxBytes));
			return new Fetched(events, events.isEmpty() ? 0 : read[0], expired, expired.size() >= limit, nextDue);
		});
	}

	/**
	 * The given partitions that hold a pending row, due or not, with their next due time:
	 * one look-up of the partition's first entry in the pending index each, so that the
	 * fetch reads only those (a relay that owns many partitions, of which few hold rows,
	 * would otherwise read each of them by a subquery of its own); and one of its first
	 * entry in the next-due index (migration V6) that is still ahead, the earliest
	 * pending row that is being retried or was delayed and is not due yet, whatever the
	 * rows of other partitions.
	 */
	private List<PendingPartition> withPendingRows(Collection<Integer> partitions) {
		return this.jdbc.query(withPendingRowsSql(partitions.size()), (rs, row) -> {
			Long micros = rs.getObject(2, Long.class);
			return new PendingPartition(rs.getInt(1), (micros != null) ? Duration.of(micros, ChronoUnit.MICROS) : null);
		}, partitions.toArray());
	}

	/**
	 * The probe of the given number of partitions: the partition numbers as rows of a
	 * {@code union all}, each with two scalar subqueries that read at most one index
	 * entry each (a scalar subquery is never turned into a join that would scan the
	 * index).
	 */
	String withPendingRowsSql(int partitionCount) {
		String numbers = "select ? as partition_no" + " union all select ?".repeat(partitionCount - 1);
		return """
				select p.partition_no, p.due
				from (select n.partition_no,
				             (select e.seq from %1$s e force index (%2$s) where e.status = %3$s and e.partition_no = n.partition_no
				              limit 1) as head,
				             (select timestampdiff(microsecond, %5$s, e.available_at) from %1$s e force index (%6$s)
				              where e.held = 1 and e.partition_no = n.partition_no and e.available_at > %5$s
				              order by e.available_at limit 1) as due
				      from (%4$s) n) p
				where p.head is not null
				"""
			.formatted(this.events, this.pendingIndex, PENDING, numbers, NOW, this.nextDueIndex);
	}

	/**
	 * A partition that holds a pending row.
	 *
	 * @param partition the partition
	 * @param nextDue how long until its earliest pending row that is being retried or was
	 * delayed falls due, or {@code null} if none is waiting
	 */
	private record PendingPartition(int partition, @Nullable Duration nextDue) {
	}

	/**
	 * The fetch of the given number of partitions: the per-partition subqueries, cut in
	 * seq order to the limit, then where the payloads and headers reach the byte bound
	 * (always admitting one row); column 17 tells how many rows were read before that
	 * cut. Only the rows that survive the cuts are read in full, by primary key: the
	 * subqueries carry no payload, which would put every intermediate result in a
	 * temporary table on disk (a blob column cannot be held in memory there). The join
	 * order is forced (the cut rows first, then one primary key look-up each), so the
	 * final sort is of the cut rows alone, before the join.
	 */
	String fetchSql(int partitionCount) {
		String union = String.join("\nunion all\n", Collections.nCopies(partitionCount, this.partitionSql));
		return """
				select straight_join %s, c.size, c.fetched
				from (
				  select f.seq, f.size, sum(f.size) over (order by f.seq rows unbounded preceding) - f.size as before_size,
				         count(*) over () as fetched
				  from (select u.seq, u.size from (
				%s
				  ) u order by u.seq limit ?) f
				) c
				join %s e on e.seq = c.seq
				where c.before_size < ?
				order by c.seq
				"""
			.formatted(COLUMNS, union, this.events);
	}

	static Object[] fetchArgs(Collection<Integer> partitions, int perPartition, int limit, long maxBytes) {
		List<Object> args = new ArrayList<>(partitions.size() * 2 + 2);
		for (Integer partition : partitions) {
			args.add(partition);
			args.add(perPartition);
		}
		args.add(limit);
		args.add(maxBytes);
		return args.toArray();
	}

	/**
	 * Mark up to {@code limit} pending or parked rows of the partitions that are past
	 * their expiry, by the database's clock, {@code EXPIRED}, skipping rows another
	 * transaction holds.
	 */
	private List<ExpiredEvent> expire(Collection<Integer> partitions, int limit) {
		List<Object> args = new ArrayList<>(partitions);
		args.add(limit);
		List<ExpiredEvent> expired = this.jdbc.query(
				"select id, destination, event_type, message_key, expires_at from " + this.events + " where status in ("
						+ PENDING + ", " + PARKED + ") and expires_at is not null" + " and expires_at <= " + NOW
						+ " and partition_no in (" + MySqlTransactions.placeholders(partitions.size())
						+ ") order by expires_at limit ? for update skip locked",
				(rs, row) -> new ExpiredEvent(id(rs, 1), rs.getString(2), rs.getString(3), rs.getString(4),
						instant(rs, 5)),
				args.toArray());
		if (!expired.isEmpty()) {
			this.jdbc.update(
					"update " + this.events + " set status = " + EXPIRED + " where id in ("
							+ MySqlTransactions.placeholders(expired.size()) + ")",
					expired.stream().map((event) -> event.id().toString()).toArray());
		}
		return expired;
	}

	@Override
	public int markPublished(Collection<UUID> ids, boolean delete) {
		if (ids.isEmpty()) {
			return 0;
		}
		String where = " where id in (" + MySqlTransactions.placeholders(ids.size()) + ") and status <> " + PUBLISHED
				+ " and status <> " + PARKED;
		String sql = delete ? "delete from " + this.events + where
				: "update " + this.events + " set status = " + PUBLISHED + ", published_at = " + NOW + where;
		Object[] args = ids.stream().map(UUID::toString).toArray();
		return this.transactions.run(() -> this.jdbc.update(sql, args));
	}

	@Override
	public void markFailed(List<Failure> failures) {
		this.transactions.run(() -> this.jdbc.batchUpdate(this.failedSql, failures, failures.size(), (ps, failure) -> {
			ps.setInt(1, failure.attempts());
			ps.setString(2, failure.error());
			ps.setLong(3, failure.delay().toNanos() / 1000);
			ps.setString(4, (failure.parked() ? OutboxStatus.PARKED : OutboxStatus.PENDING).name());
			ps.setString(5, failure.id().toString());
		}));
	}

	@Override
	public int purge(Duration retention, int limit) {
		long micros = retention.toNanos() / 1000;
		return this.transactions.run(() -> Math.max(this.jdbc.update(this.purgeSql, micros, limit),
				this.jdbc.update(this.purgeExpiredSql, micros, limit)));
	}

	private static ClaimedEvent map(ResultSet rs) throws SQLException {
		OutboxMessage message = new OutboxMessage(id(rs, 1), rs.getString(8), rs.getString(9), rs.getString(5),
				rs.getString(6), rs.getString(7), rs.getString(10), rs.getBytes(11), rs.getString(12),
				JdbcRelayStore.headers(rs.getString(13)), instant(rs, 14), nullableInstant(rs, 15));
		return new ClaimedEvent(message, rs.getLong(2), rs.getInt(3), rs.getInt(4));
	}

	private static UUID id(ResultSet rs, int column) throws SQLException {
		return UUID.fromString(rs.getString(column));
	}

	/** The columns are {@code datetime(6)} in UTC: read without time zone conversion. */
	private static Instant instant(ResultSet rs, int column) throws SQLException {
		Instant instant = nullableInstant(rs, column);
		if (instant == null) {
			throw new SQLException("Column " + column + " is null");
		}
		return instant;
	}

	private static @Nullable Instant nullableInstant(ResultSet rs, int column) throws SQLException {
		LocalDateTime value = rs.getObject(column, LocalDateTime.class);
		return (value != null) ? value.toInstant(ZoneOffset.UTC) : null;
	}

}
