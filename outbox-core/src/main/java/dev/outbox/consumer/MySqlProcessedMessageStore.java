package dev.outbox.consumer;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The processed-message table on MariaDB and MySQL: {@code insert ignore}, which, like
 * PostgreSQL's {@code on conflict do nothing}, waits for a concurrent transaction
 * inserting the same key, counts 0 rows for a duplicate and never fails the caller's
 * transaction. (Its other effect, turning errors into warnings, cannot hide anything
 * here: the consumer name and id are checked for length and nulls beforehand.) The update
 * count of {@code on duplicate key update} would not do: it depends on the driver's
 * {@code useAffectedRows} setting. A batch is recorded id by id, there is no
 * {@code returning} on MySQL. {@code processed_at} is a {@code datetime(6)} in UTC.
 */
final class MySqlProcessedMessageStore implements ProcessedMessageStore {

	private final JdbcTemplate jdbc;

	private final String insertSql;

	private final String existsSql;

	private final String purgeSql;

	MySqlProcessedMessageStore(JdbcTemplate jdbc, String table) {
		this.jdbc = jdbc;
		this.insertSql = "insert ignore into " + table + " (consumer, message_id, processed_at) values (?, ?, ?)";
		this.existsSql = "select count(*) from " + table + " where consumer = ? and message_id = ?";
		this.purgeSql = "delete from " + table + " where processed_at < ? order by processed_at limit ?";
	}

	@Override
	public boolean record(String consumer, String messageId, Instant now) {
		return this.jdbc.update(this.insertSql, consumer, messageId, utc(now)) > 0;
	}

	@Override
	public Set<String> recordAll(String consumer, List<String> messageIds, Instant now) {
		Set<String> inserted = new HashSet<>();
		LocalDateTime processedAt = utc(now);
		for (String id : messageIds) {
			if (this.jdbc.update(this.insertSql, consumer, id, processedAt) > 0) {
				inserted.add(id);
			}
		}
		return inserted;
	}

	@Override
	public boolean isProcessed(String consumer, String messageId) {
		Integer count = this.jdbc.queryForObject(this.existsSql, Integer.class, consumer, messageId);
		return count != null && count > 0;
	}

	@Override
	public int purge(Instant cutoff, int limit) {
		return this.jdbc.update(this.purgeSql, utc(cutoff), limit);
	}

	private static LocalDateTime utc(Instant instant) {
		return LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
	}

}
