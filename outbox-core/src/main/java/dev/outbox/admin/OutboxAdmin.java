package dev.outbox.admin;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import dev.outbox.OutboxDatabase;
import dev.outbox.OutboxStatus;
import dev.outbox.OutboxTables;
import dev.outbox.SqlIdentifiers;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Inspection and repair of the outbox table, for metrics, health checks and operators.
 * <p>
 * {@link #stats()} counts pending, failing, parked and expired events and measures how
 * long the oldest due event has been waiting, in one statement.
 * {@link #failedEvents(int, boolean)} lists parked and failing events with their last
 * error (payloads only when asked for). {@link #replay(UUID)} and {@link #replayAll()}
 * make parked and failing events pending again with a fresh budget of attempts and due at
 * once by the database's clock (the relay's, whatever this instance's clock says);
 * {@link #discard(UUID)} deletes one. A replayed event keeps its place in the order of
 * its key (its insertion sequence is unchanged), so the later events of the key, which
 * waited behind it, still follow it. Its last error is kept until the next attempt
 * overwrites it.
 * <p>
 * Every method runs one statement on a connection of the data source (joining a
 * transaction if the caller runs one), in the SQL of its database (PostgreSQL, MariaDB or
 * MySQL). Built with {@link #builder(DataSource, OutboxTables)}.
 */
public final class OutboxAdmin {

	private static final Log logger = LogFactory.getLog(OutboxAdmin.class);

	private static final String PENDING = "'" + OutboxStatus.PENDING.name() + "'";

	private static final String PARKED = "'" + OutboxStatus.PARKED.name() + "'";

	private static final String EXPIRED = "'" + OutboxStatus.EXPIRED.name() + "'";

	private final DataSource dataSource;

	private final JdbcTemplate jdbc;

	private final Clock clock;

	private final Runnable onReplay;

	private final OutboxTables tables;

	private final @Nullable String notifyChannel;

	/** The statements of the database, once known. */
	private volatile @Nullable Statements statements;

	private OutboxAdmin(Builder builder) {
		this.dataSource = builder.dataSource;
		this.jdbc = new JdbcTemplate(builder.dataSource);
		this.clock = builder.clock;
		this.onReplay = builder.onReplay;
		this.notifyChannel = builder.notifyChannel;
		this.tables = builder.tables;
		if (builder.database != null) {
			this.statements = new Statements(builder.database, this.tables);
		}
	}

	/**
	 * The statements of the database, read from a connection at the first call unless it
	 * was set.
	 */
	private Statements statements() {
		Statements current = this.statements;
		if (current == null) {
			current = new Statements(OutboxDatabase.of(this.dataSource), this.tables);
			this.statements = current;
		}
		return current;
	}

	/**
	 * Start building an admin for the given outbox tables.
	 * @param dataSource the data source of the outbox tables
	 * @param tables the table names
	 * @return a builder
	 */
	public static Builder builder(DataSource dataSource, OutboxTables tables) {
		return new Builder(dataSource, tables);
	}

	/**
	 * Count pending, failing, parked and expired events and measure the oldest due one,
	 * in one statement (it scans the pending, parked and expired rows: cache the result
	 * when polling often). An event is due by the database's clock, as for the relay; its
	 * age is measured with this instance's clock ({@link Builder#clock(Clock)}).
	 * @return the snapshot
	 */
	public OutboxStats stats() {
		Instant now = this.clock.instant();
		Statements statements = statements();
		OutboxStats stats = this.jdbc.queryForObject(statements.stats, (rs, row) -> {
			Instant oldest = statements.instant(rs, 4);
			Duration age = null;
			if (oldest != null) {
				age = Duration.between(oldest, now);
				age = age.isNegative() ? Duration.ZERO : age;
			}
			return new OutboxStats(rs.getLong(1), rs.getLong(2), rs.getLong(3), age, rs.getLong(5));
		});
		return Objects.requireNonNull(stats);
	}

	/**
	 * List parked events, then failing ones, each in insertion order.
	 * @param limit the maximum number of events
	 * @param includePayload whether to read the payloads
	 * @return the events
	 */
	public List<FailedEvent> failedEvents(int limit, boolean includePayload) {
		if (limit < 1) {
			throw new IllegalArgumentException("limit must be at least 1, was " + limit);
		}
		Statements statements = statements();
		return this.jdbc.query(includePayload ? statements.listWithPayload : statements.list,
				(rs, row) -> statements.map(rs, includePayload), limit);
	}

	/**
	 * Find a parked or failing event.
	 * @param id the message id
	 * @param includePayload whether to read the payload
	 * @return the event, or empty if there is no parked or failing event with that id
	 */
	public Optional<FailedEvent> failedEvent(UUID id, boolean includePayload) {
		Statements statements = statements();
		return this.jdbc
			.query(includePayload ? statements.findWithPayload : statements.find,
					(rs, row) -> statements.map(rs, includePayload), statements.id(id))
			.stream()
			.findFirst();
	}

	/**
	 * Make a parked or failing event pending again: due now by the database's clock,
	 * attempts reset to zero. Wakes the relay.
	 * @param id the message id
	 * @return whether a parked or failing event with that id existed
	 */
	public boolean replay(UUID id) {
		Statements statements = statements();
		int updated = this.jdbc.update(statements.replay, statements.id(id));
		if (updated > 0) {
			logger.info("Outbox event " + id + " replayed");
			notifyRelays();
			wakeRelay();
		}
		return updated > 0;
	}

	/**
	 * Make every parked and failing event pending again: due now by the database's clock,
	 * attempts reset to zero. Wakes the relay.
	 * @return the number of events replayed
	 */
	public int replayAll() {
		Statements statements = statements();
		int updated = this.jdbc.update(statements.replayAll);
		if (updated > 0) {
			logger.info(updated + " outbox events replayed");
			notifyRelays();
			wakeRelay();
		}
		return updated;
	}

	/**
	 * Delete a parked or failing event: it is never sent (if the relay is sending a
	 * failing event at this moment, that attempt may still reach the broker). The later
	 * events of its key are sent next.
	 * @param id the message id
	 * @return whether a parked or failing event with that id existed
	 */
	public boolean discard(UUID id) {
		Statements statements = statements();
		int deleted = this.jdbc.update(statements.discard, statements.id(id));
		if (deleted > 0) {
			logger.info("Outbox event " + id + " discarded");
			notifyRelays();
			wakeRelay();
		}
		return deleted > 0;
	}

	/**
	 * Relays of other application instances listen on the notify channel; the
	 * notification is delivered when the surrounding transaction, if any, commits.
	 * MariaDB and MySQL have no notifications: other instances find the events at their
	 * next poll.
	 */
	private void notifyRelays() {
		if (this.notifyChannel != null && !statements().mysql) {
			this.jdbc.queryForList("select pg_notify(?, '')", this.notifyChannel);
		}
	}

	private void wakeRelay() {
		try {
			this.onReplay.run();
		}
		catch (RuntimeException ex) {
			logger.warn("Could not wake the outbox relay; it finds the events at its next poll: " + ex);
		}
	}

	/**
	 * The SQL of one database, and how it binds and reads ids and times.
	 */
	private static final class Statements {

		/** Parked, or failing: pending with failed attempts. */
		private static final String PROBLEM = "(status = " + PARKED + " or (status = " + PENDING
				+ " and attempts > 0))";

		private static final String SUMMARY_COLUMNS = "id, status, destination, message_key, event_type, "
				+ "aggregate_type, aggregate_id, attempts, last_error, created_at, available_at, content_type";

		/** MariaDB or MySQL: ids as text, times as UTC {@code datetime(6)}. */
		final boolean mysql;

		final String stats;

		final String list;

		final String listWithPayload;

		final String find;

		final String findWithPayload;

		final String replay;

		final String replayAll;

		final String discard;

		Statements(OutboxDatabase database, OutboxTables tables) {
			this.mysql = database.isMySqlFamily();
			String events = tables.qualifiedEventTable();
			// waiting since: when it became due; a failing event since it was recorded
			// (its available_at moves with the backoff). Due as for the relay: by the
			// database's clock, and at once when written without a delay, whatever the
			// writer's clock said
			this.stats = this.mysql ? """
					select sum(case when status = %2$s then 1 else 0 end),
					       sum(case when status = %2$s and attempts > 0 then 1 else 0 end),
					       sum(case when status = %3$s then 1 else 0 end),
					       min(case when status = %2$s
					           and (attempts > 0 or available_at <= created_at or available_at <= utc_timestamp(6))
					         then (case when attempts > 0 then created_at else available_at end) end),
					       sum(case when status = %4$s then 1 else 0 end)
					from %1$s where status in (%2$s, %3$s, %4$s)
					""".formatted(events, PENDING, PARKED, EXPIRED) : """
					select count(*) filter (where status = %2$s),
					       count(*) filter (where status = %2$s and attempts > 0),
					       count(*) filter (where status = %3$s),
					       min(case when attempts > 0 then created_at else available_at end)
					         filter (where status = %2$s
					           and (attempts > 0 or available_at <= created_at or available_at <= now())),
					       count(*) filter (where status = %4$s)
					from %1$s where status in (%2$s, %3$s, %4$s)
					""".formatted(events, PENDING, PARKED, EXPIRED);
			String list = "select " + SUMMARY_COLUMNS + "%s from " + events + " where " + PROBLEM
					+ " order by (status = " + PARKED + ") desc, seq limit ?";
			this.list = list.formatted("");
			this.listWithPayload = list.formatted(", payload");
			String find = "select " + SUMMARY_COLUMNS + "%s from " + events + " where id = ? and " + PROBLEM;
			this.find = find.formatted("");
			this.findWithPayload = find.formatted(", payload");
			// due at once by the database's clock, the clock the relay's fetch compares
			// due times with, whatever the clock of this instance says
			String replay = "update " + events + " set status = " + PENDING + ", attempts = 0, available_at = "
					+ (this.mysql ? "utc_timestamp(6)" : "now()") + " where " + PROBLEM;
			this.replay = replay + " and id = ?";
			this.replayAll = replay;
			this.discard = "delete from " + events + " where id = ? and " + PROBLEM;
		}

		Object id(UUID id) {
			return this.mysql ? id.toString() : id;
		}

		@Nullable Instant instant(ResultSet rs, int column) throws SQLException {
			if (this.mysql) {
				LocalDateTime value = rs.getObject(column, LocalDateTime.class);
				return (value != null) ? value.toInstant(ZoneOffset.UTC) : null;
			}
			OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
			return (value != null) ? value.toInstant() : null;
		}

		FailedEvent map(ResultSet rs, boolean includePayload) throws SQLException {
			FailedEvent.State state = OutboxStatus.PARKED.name().equals(rs.getString(2)) ? FailedEvent.State.PARKED
					: FailedEvent.State.FAILING;
			byte @Nullable [] payload = includePayload ? rs.getBytes(13) : null;
			UUID id = this.mysql ? UUID.fromString(rs.getString(1)) : rs.getObject(1, UUID.class);
			return new FailedEvent(id, state, rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
					rs.getString(7), rs.getInt(8), rs.getString(9), Objects.requireNonNull(instant(rs, 10)),
					Objects.requireNonNull(instant(rs, 11)), rs.getString(12), payload);
		}

	}

	/**
	 * Builder of {@link OutboxAdmin}.
	 */
	public static final class Builder {

		private final DataSource dataSource;

		private final OutboxTables tables;

		private Clock clock = Clock.systemUTC();

		private Runnable onReplay = () -> {
		};

		private @Nullable String notifyChannel;

		private @Nullable OutboxDatabase database;

		private Builder(DataSource dataSource, OutboxTables tables) {
			this.dataSource = Objects.requireNonNull(dataSource, "dataSource must not be null");
			this.tables = Objects.requireNonNull(tables, "tables must not be null");
		}

		/**
		 * The clock that {@link OutboxAdmin#stats()} measures ages with (default: system
		 * UTC). Due times are the database's clock, as for the relay.
		 * @param clock the clock
		 * @return this builder
		 */
		public Builder clock(Clock clock) {
			this.clock = Objects.requireNonNull(clock, "clock must not be null");
			return this;
		}

		/**
		 * Called after events were replayed or discarded, to make the relay look for them
		 * at once, for example {@code relay::wakeUp} (default: nothing; the relay finds
		 * them at its next poll).
		 * @param onReplay the callback; must return quickly
		 * @return this builder
		 */
		public Builder onReplay(Runnable onReplay) {
			this.onReplay = Objects.requireNonNull(onReplay, "onReplay must not be null");
			return this;
		}

		/**
		 * The PostgreSQL channel to notify after events were replayed or discarded, so
		 * that the relays of every application instance look for them at once; the same
		 * channel as the outbox writer's (default: none). Ignored on MariaDB and MySQL.
		 * @param notifyChannel the channel, or {@code null} for no notification
		 * @throws IllegalArgumentException if the channel breaks the
		 * {@link SqlIdentifiers} rule
		 * @return this builder
		 */
		public Builder notifyChannel(@Nullable String notifyChannel) {
			this.notifyChannel = (notifyChannel != null)
					? SqlIdentifiers.requireValid(notifyChannel, "notifyChannel", "outbox") : null;
			return this;
		}

		/**
		 * Set the database of the outbox tables (default: read from a connection at the
		 * first call).
		 * @param database the database, or {@code null} to read it from a connection
		 * @return this builder
		 */
		public Builder database(@Nullable OutboxDatabase database) {
			this.database = database;
			return this;
		}

		/**
		 * Build the admin.
		 * @return the admin
		 */
		public OutboxAdmin build() {
			return new OutboxAdmin(this);
		}

	}

}
