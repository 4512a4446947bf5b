package dev.outbox.consumer;

import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The processed-message table on PostgreSQL: {@code on conflict do nothing}, which waits
 * for a concurrent transaction inserting the same key and never fails the caller's
 * transaction on a duplicate; a batch in one statement over an array, {@code returning}
 * the ids inserted; the purge by {@code ctid}.
 */
final class PostgresProcessedMessageStore implements ProcessedMessageStore {

	private final JdbcTemplate jdbc;

	private final String insertSql;

	private final String insertBatchSql;

	private final String existsSql;

	private final String purgeSql;

	PostgresProcessedMessageStore(JdbcTemplate jdbc, String table) {
		this.jdbc = jdbc;
		this.insertSql = "insert into " + table
				+ " (consumer, message_id, processed_at) values (?, ?, ?) on conflict do nothing";
		this.insertBatchSql = "insert into " + table
				+ " (consumer, message_id, processed_at) select ?, id, ? from unnest(?::varchar[]) as ids(id)"
				+ " on conflict do nothing returning message_id";
		this.existsSql = "select count(*) from " + table + " where consumer = ? and message_id = ?";
		this.purgeSql = "delete from " + table + " where ctid = any(array(select ctid from " + table
				+ " where processed_at < ? limit ?))";
	}

	@Override
	public boolean record(String consumer, String messageId, Instant now) {
		return this.jdbc.update(this.insertSql, consumer, messageId, Timestamp.from(now)) > 0;
	}

	@Override
	public Set<String> recordAll(String consumer, List<String> messageIds, Instant now) {
		String[] ids = messageIds.toArray(String[]::new);
		List<String> inserted = this.jdbc.execute((ConnectionCallback<List<String>>) (connection) -> {
			Array array = connection.createArrayOf("varchar", ids);
			try (PreparedStatement statement = connection.prepareStatement(this.insertBatchSql)) {
				statement.setString(1, consumer);
				statement.setTimestamp(2, Timestamp.from(now));
				statement.setArray(3, array);
				List<String> result = new ArrayList<>(ids.length);
				try (ResultSet rows = statement.executeQuery()) {
					while (rows.next()) {
						result.add(rows.getString(1));
					}
				}
				return result;
			}
			finally {
				array.free();
			}
		});
		return new HashSet<>(Objects.requireNonNull(inserted));
	}

	@Override
	public boolean isProcessed(String consumer, String messageId) {
		Integer count = this.jdbc.queryForObject(this.existsSql, Integer.class, consumer, messageId);
		return count != null && count > 0;
	}

	@Override
	public int purge(Instant cutoff, int limit) {
		return this.jdbc.update(this.purgeSql, Timestamp.from(cutoff), limit);
	}

}
