package dev.outbox.relay;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import dev.outbox.OutboxTables;
import dev.outbox.spi.OutboxMessage;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The relay's statements on the outbox tables. Every method borrows a connection for one
 * statement (or one batch) and returns it: no connection or row lock is held while the
 * relay waits on the broker.
 */
final class RelayStore {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final TypeReference<Map<String, Object>> HEADERS = new TypeReference<>() {
	};

	private final JdbcTemplate jdbc;

	private final String fetchSql;

	private final String deleteSql;

	private final String publishedSql;

	private final String failedSql;

	private final String purgeSql;

	RelayStore(DataSource dataSource, OutboxTables tables) {
		this.jdbc = new JdbcTemplate(dataSource);
		String events = tables.qualifiedEventTable();
		// Each owned partition is read by its own index scan on (partition_no, seq),
		// bounded per partition, rather than sorting every pending row of the owned
		// partitions. A key is blocked from the first of its rows that is parked or
		// pending but not due (delayed or backing off); a key whose head is being retried
		// sends only that head.
		this.fetchSql = """
				with blocked as (
				  select message_key,
				         min(case when status = 'PENDING' and attempts > 0 and available_at <= ? then seq + 1 else seq end) as from_seq
				  from %1$s
				  where partition_no = any(?::int[])
				    and (status = 'PARKED' or (status = 'PENDING' and available_at > ?) or (status = 'PENDING' and attempts > 0))
				  group by message_key
				)
				select e.* from unnest(?::int[]) p(no) cross join lateral (
				  select e.id, e.seq, e.partition_no, e.attempts, e.aggregate_type, e.aggregate_id, e.event_type,
				         e.destination, e.routing_key, e.message_key, e.payload, e.content_type, e.headers::text, e.created_at
				  from %1$s e left join blocked b on b.message_key = e.message_key
				  where e.partition_no = p.no and e.status = 'PENDING' and e.available_at <= ?
				    and (b.from_seq is null or e.seq < b.from_seq)
				  order by e.seq
				  limit ?
				) e
				order by e.seq
				limit ?
				"""
			.formatted(events);
		this.deleteSql = "delete from " + events + " where id = any(?::uuid[]) and status = 'PENDING'";
		this.publishedSql = "update " + events
				+ " set status = 'PUBLISHED', published_at = ? where id = any(?::uuid[]) and status = 'PENDING'";
		this.failedSql = "update " + events
				+ " set attempts = ?, last_error = ?, available_at = ?, status = ? where id = ? and status = 'PENDING'";
		this.purgeSql = "delete from " + events + " where id in (select id from " + events
				+ " where status = 'PUBLISHED' and published_at < ? order by published_at limit ? for update skip locked)";
	}

	/**
	 * Read due, unblocked pending events of the given partitions in seq order.
	 * @param partitions the partitions
	 * @param now the current time
	 * @param perPartition the most events read from one partition
	 * @param limit the most events returned
	 * @return the events
	 */
	List<ClaimedEvent> fetch(Collection<Integer> partitions, Instant now, int perPartition, int limit) {
		String owned = partitions.stream().map(String::valueOf).collect(Collectors.joining(",", "{", "}"));
		OffsetDateTime at = at(now);
		return this.jdbc.query(this.fetchSql, (rs, row) -> map(rs), at, owned, at, owned, at, perPartition, limit);
	}

	int markPublished(Collection<UUID> ids, Instant now, boolean delete) {
		String array = ids.stream().map(UUID::toString).collect(Collectors.joining(",", "{", "}"));
		return delete ? this.jdbc.update(this.deleteSql, array) : this.jdbc.update(this.publishedSql, at(now), array);
	}

	void markFailed(List<Failure> failures) {
		this.jdbc.batchUpdate(this.failedSql, failures, failures.size(), (ps, failure) -> {
			ps.setInt(1, failure.attempts());
			ps.setString(2, failure.error());
			ps.setObject(3, at(failure.availableAt()));
			ps.setString(4, failure.parked() ? "PARKED" : "PENDING");
			ps.setObject(5, failure.id());
		});
	}

	int purge(Instant publishedBefore, int limit) {
		return this.jdbc.update(this.purgeSql, at(publishedBefore), limit);
	}

	private static OffsetDateTime at(Instant instant) {
		return instant.atOffset(ZoneOffset.UTC);
	}

	private static ClaimedEvent map(ResultSet rs) throws SQLException {
		OutboxMessage message = new OutboxMessage(rs.getObject(1, UUID.class), rs.getString(8), rs.getString(9),
				rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(10), rs.getBytes(11), rs.getString(12),
				headers(rs.getString(13)), rs.getObject(14, OffsetDateTime.class).toInstant());
		return new ClaimedEvent(message, rs.getLong(2), rs.getInt(3), rs.getInt(4));
	}

	private static Map<String, String> headers(String json) {
		if (json == null || json.equals("{}")) {
			return Map.of();
		}
		Map<String, String> headers = new LinkedHashMap<>();
		JSON.readValue(json, HEADERS).forEach((name, value) -> headers.put(name, String.valueOf(value)));
		return headers;
	}

	/**
	 * The outcome of a failed delivery attempt.
	 *
	 * @param id the message id
	 * @param attempts the failed attempts including this one
	 * @param error the error to record
	 * @param availableAt the earliest next attempt
	 * @param parked whether the event is parked
	 */
	record Failure(UUID id, int attempts, String error, Instant availableAt, boolean parked) {
	}

}
