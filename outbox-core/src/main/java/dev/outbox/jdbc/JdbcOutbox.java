package dev.outbox.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import dev.outbox.Outbox;
import dev.outbox.OutboxDatabase;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxException;
import dev.outbox.OutboxTables;
import dev.outbox.SqlIdentifiers;
import dev.outbox.json.JacksonPayloadSerializer;
import dev.outbox.spi.OutboxCommitListener;
import dev.outbox.spi.OutboxHeaderContributor;
import dev.outbox.spi.Partitions;
import dev.outbox.spi.PayloadSerializer;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.util.Assert;

/**
 * The JDBC {@link Outbox} on PostgreSQL, MariaDB and MySQL: writes each event as a row of
 * the outbox table over the connection of the current Spring-managed transaction, so it
 * commits or rolls back with the business change. The database is read from the
 * connection at the first write unless it is {@link Builder#database(OutboxDatabase)
 * set}.
 * <p>
 * The transaction must be run by a transaction manager that binds a connection of the
 * same {@link DataSource} ({@code DataSourceTransactionManager},
 * {@code JdbcTransactionManager}, or {@code JpaTransactionManager} over that
 * {@code DataSource}); otherwise, and in a read-only transaction, publishing fails at
 * once with an {@link OutboxException}.
 * <p>
 * On PostgreSQL, before inserting, each call takes a transaction-scoped advisory lock on
 * a hash of each message key (in the same statement as the insert). Two transactions
 * recording events with the same key are therefore serialized, so the {@code seq} order
 * of a key's rows is the order in which their transactions committed.
 * {@link #publishAll(List)} locks the distinct keys in ascending order. A transaction
 * that publishes several keys in separate calls, in a different order than a concurrent
 * one, can deadlock; PostgreSQL then aborts one of them, as with row locks. Every writer
 * also holds a shared lock of the table's writers; a transaction whose first call is a
 * {@code publishAll} of more than 32 distinct keys (a bulk import, say) takes that lock
 * exclusively instead of any key lock, so PostgreSQL's lock table
 * ({@code max_locks_per_transaction}) cannot run out, at the price of the other writers
 * of the outbox waiting until it commits. A transaction that locks keys call by call
 * holds one lock per distinct key, as many as the lock table allows (a few thousand by
 * default). On MariaDB and MySQL, which have no advisory locks, each call first locks the
 * row of each key's slot in the {@code
 *
<table>
 * _key_lock} table ({@code insert .. on duplicate key update}, held until commit), with
 * the same effect on the order of a key's rows; row locks cannot exhaust a lock table, so
 * no writer is ever locked out.
 * <p>
 * After the commit of a transaction that recorded events, the {@link OutboxCommitListener
 * commit listeners} are called (the relay of this application wakes up), and relays in
 * other processes are woken by {@code pg_notify(channel, '')}, sent outside the business
 * transaction by a notifier thread (PostgreSQL only; MariaDB and MySQL have no
 * notifications, their relays in other processes find the events at their next poll) on a
 * connection of its own (borrowed from the data source while commits keep coming): a
 * PostgreSQL transaction that notifies takes a cluster-wide lock for its commit, which
 * would serialize the commits of every writer. Commits in quick succession share one
 * notification (at most one every few milliseconds). A notification that fails, or a
 * process that dies between the commit and the notification, leaves the other relays to
 * find the events at their next poll; a rolled-back transaction sends none.
 * <p>
 * Create one with {@link #builder(DataSource)}; {@link #close() close} it to stop the
 * notifier thread (a Spring container does so on shutdown).
 */
public final class JdbcOutbox implements Outbox, AutoCloseable {

	/**
	 * Default largest event, payload and headers together, in bytes (960 KiB): 64 KiB
	 * under Kafka's default {@code max.request.size} (1 MiB), room for what the relay
	 * adds to the record (the key and the outbox headers, at most about 5 KiB, and the
	 * record batch's framing), so an accepted event is never too large to send.
	 */
	public static final int DEFAULT_MAX_PAYLOAD_SIZE = 960 * 1024;

	/** Default largest number of headers of an event. */
	public static final int DEFAULT_MAX_HEADERS = 64;

	/** Default largest header, name and value together, in bytes (8 KiB). */
	public static final int DEFAULT_MAX_HEADER_SIZE = 8 * 1024;

	/** Default channel of the PostgreSQL notification sent after commits. */
	public static final String DEFAULT_NOTIFY_CHANNEL = "outbox";

	private final DataSource dataSource;

	private final OutboxTables tables;

	private final String contentType;

	private final int partitions;

	private final Clock clock;

	private final @Nullable String notifyChannel;

	private final EventRows rows;

	private final CommitNotification notification;

	private final @Nullable OutboxDatabase database;

	/** The statements of the database, once known. */
	private volatile @Nullable EventStatements statements;

	private JdbcOutbox(Builder builder) {
		this.dataSource = builder.dataSource;
		this.tables = builder.tables;
		this.contentType = builder.serializer.contentType();
		this.partitions = builder.partitions;
		this.clock = builder.clock;
		this.notifyChannel = builder.notifyChannel;
		this.rows = new EventRows(builder.serializer, builder.headerContributors, builder.maxPayloadSize,
				builder.maxHeaders, builder.maxHeaderSize, builder.partitions, new UuidV7Generator(this.clock));
		this.notification = new CommitNotification(this.dataSource, builder.commitListeners, this.notifyChannel);
		this.database = builder.database;
		if (this.database != null) {
			this.statements = statements(this.database);
		}
	}

	/**
	 * Start building an outbox that writes over connections of the given data source.
	 * @param dataSource the data source of the business transactions
	 * @return a builder
	 */
	public static Builder builder(DataSource dataSource) {
		return new Builder(dataSource);
	}

	/**
	 * The tables this outbox writes to.
	 * @return the tables
	 */
	public OutboxTables tables() {
		return this.tables;
	}

	/**
	 * The number of relay partitions the message keys are spread over.
	 * @return the partition count
	 */
	public int partitions() {
		return this.partitions;
	}

	/**
	 * The channel notified after commits, or {@code null} if notifications are off.
	 * MariaDB and MySQL have no notifications: the channel is not used there.
	 * @return the channel
	 */
	public @Nullable String notifyChannel() {
		return this.notifyChannel;
	}

	@Override
	public UUID publish(OutboxEvent event) {
		Assert.notNull(event, "event must not be null");
		requireTransaction();
		Instant now = this.clock.instant();
		EventRow row = this.rows.toRow(event, now);
		write(List.of(row), now);
		return row.id();
	}

	@Override
	public List<UUID> publishAll(List<OutboxEvent> events) {
		Assert.notNull(events, "events must not be null");
		Assert.noNullElements(events, "events must not contain null");
		requireTransaction();
		if (events.isEmpty()) {
			return List.of();
		}
		Instant now = this.clock.instant();
		List<EventRow> rows = new ArrayList<>(events.size());
		for (OutboxEvent event : events) {
			rows.add(this.rows.toRow(event, now));
		}
		write(rows, now);
		return rows.stream().map(EventRow::id).toList();
	}

	private void requireTransaction() {
		if (!TransactionSynchronizationManager.isActualTransactionActive()
				|| !TransactionSynchronizationManager.isSynchronizationActive()) {
			throw new OutboxException("No transaction is active: outbox events must be recorded in the transaction of "
					+ "the business change. Annotate the calling method with @Transactional, or run the code in "
					+ "TransactionTemplate.execute(..)");
		}
		if (TransactionSynchronizationManager.isCurrentTransactionReadOnly()) {
			throw new OutboxException("The current transaction is read-only: outbox events need a read-write "
					+ "transaction. Use @Transactional without readOnly = true, or a read-write TransactionTemplate");
		}
		if (!(TransactionSynchronizationManager.getResource(this.dataSource) instanceof ConnectionHolder)) {
			throw new OutboxException("The active transaction holds no connection of the outbox's DataSource, so "
					+ "the event would not commit with it. Run the transaction with a transaction manager for that "
					+ "DataSource (DataSourceTransactionManager, JdbcTransactionManager, or JpaTransactionManager "
					+ "whose EntityManagerFactory uses it), annotate the calling method with @Transactional or use "
					+ "TransactionTemplate");
		}
	}

	private void write(List<EventRow> rows, Instant now) {
		OutboxTransaction transaction = OutboxTransaction.current(this);
		boolean first = transaction == null;
		if (transaction == null) {
			transaction = OutboxTransaction.start(this, this.notification);
		}
		Connection connection = DataSourceUtils.getConnection(this.dataSource);
		try {
			EventStatements statements = statements(connection);
			KeyLockPlan plan = KeyLockPlan.of(rows, transaction, first, statements);
			statements.insert(connection, rows, now, plan);
			transaction.took(plan);
		}
		catch (SQLException ex) {
			throw new OutboxException("Could not record " + rows.size() + " outbox event(s) in "
					+ this.tables.qualifiedEventTable() + ": " + ex.getMessage(), ex);
		}
		finally {
			DataSourceUtils.releaseConnection(connection, this.dataSource);
		}
		if (first) {
			transaction.register();
		}
	}

	/** The statements of the database, read from the connection at the first write. */
	private EventStatements statements(Connection connection) throws SQLException {
		EventStatements current = this.statements;
		if (current == null) {
			current = statements(OutboxDatabase.of(connection.getMetaData()));
			this.statements = current;
		}
		return current;
	}

	private EventStatements statements(OutboxDatabase database) {
		EventStatements statements = EventStatements.of(database, this.tables, this.contentType);
		this.notification.databaseNotifies(statements.notifies());
		return statements;
	}

	/**
	 * Stop the notifier thread, after it sent the notification still due, if any. Events
	 * recorded afterwards are written as before, but relays in other processes find them
	 * at their next poll only.
	 */
	@Override
	public void close() {
		this.notification.close(Duration.ofSeconds(2));
	}

	/**
	 * Builder of {@link JdbcOutbox}.
	 */
	public static final class Builder {

		private final DataSource dataSource;

		private OutboxTables tables = OutboxTables.defaults();

		private PayloadSerializer serializer;

		private int maxPayloadSize = DEFAULT_MAX_PAYLOAD_SIZE;

		private int maxHeaders = DEFAULT_MAX_HEADERS;

		private int maxHeaderSize = DEFAULT_MAX_HEADER_SIZE;

		private int partitions = Partitions.DEFAULT_COUNT;

		private Clock clock = Clock.systemUTC();

		private List<OutboxCommitListener> commitListeners = List.of();

		private List<OutboxHeaderContributor> headerContributors = List.of();

		private @Nullable String notifyChannel = DEFAULT_NOTIFY_CHANNEL;

		private @Nullable OutboxDatabase database;

		private Builder(DataSource dataSource) {
			Assert.notNull(dataSource, "dataSource must not be null");
			this.dataSource = dataSource;
			this.serializer = new JacksonPayloadSerializer();
		}

		/**
		 * Set the table names (default: {@link OutboxTables#defaults()}).
		 * @param tables the tables
		 * @return this builder
		 */
		public Builder tables(OutboxTables tables) {
			Assert.notNull(tables, "tables must not be null");
			this.tables = tables;
			return this;
		}

		/**
		 * Set the payload serializer (default: {@link JacksonPayloadSerializer}).
		 * @param serializer the serializer
		 * @return this builder
		 */
		public Builder serializer(PayloadSerializer serializer) {
			Assert.notNull(serializer, "serializer must not be null");
			this.serializer = serializer;
			return this;
		}

		/**
		 * Set the largest event accepted, in bytes: the serialized payload plus the
		 * headers' names and values in UTF-8 (default:
		 * {@link #DEFAULT_MAX_PAYLOAD_SIZE}). A larger event fails the publish call. Keep
		 * it under what the broker accepts (Kafka's {@code max.request.size}), less room
		 * for the key and the relay's headers.
		 * @param bytes the limit, at least 1
		 * @return this builder
		 */
		public Builder maxPayloadSize(int bytes) {
			if (bytes < 1) {
				throw new IllegalArgumentException("maxPayloadSize must be at least 1 byte, was " + bytes);
			}
			this.maxPayloadSize = bytes;
			return this;
		}

		/**
		 * Set the largest number of headers of an event, those of the
		 * {@link OutboxHeaderContributor header contributors} included (default:
		 * {@link #DEFAULT_MAX_HEADERS}). An event with more fails the publish call.
		 * @param count the limit, at least 0
		 * @return this builder
		 */
		public Builder maxHeaders(int count) {
			if (count < 0) {
				throw new IllegalArgumentException("maxHeaders must not be negative, was " + count);
			}
			this.maxHeaders = count;
			return this;
		}

		/**
		 * Set the largest header, its name and value in UTF-8 bytes (default:
		 * {@link #DEFAULT_MAX_HEADER_SIZE}). An event with a larger one fails the publish
		 * call.
		 * @param bytes the limit, at least 1
		 * @return this builder
		 */
		public Builder maxHeaderSize(int bytes) {
			if (bytes < 1) {
				throw new IllegalArgumentException("maxHeaderSize must be at least 1 byte, was " + bytes);
			}
			this.maxHeaderSize = bytes;
			return this;
		}

		/**
		 * Set the number of relay partitions (default: {@link Partitions#DEFAULT_COUNT});
		 * it must be the relay's.
		 * @param partitions the partition count, at least 1
		 * @return this builder
		 */
		public Builder partitions(int partitions) {
			if (partitions < 1) {
				throw new IllegalArgumentException("partitions must be at least 1, was " + partitions);
			}
			this.partitions = partitions;
			return this;
		}

		/**
		 * Set the clock for message ids and timestamps (default: system UTC).
		 * @param clock the clock
		 * @return this builder
		 */
		public Builder clock(Clock clock) {
			Assert.notNull(clock, "clock must not be null");
			this.clock = clock;
			return this;
		}

		/**
		 * Set the listeners called after the commit of a transaction that recorded
		 * events, in list order.
		 * @param listeners the listeners
		 * @return this builder
		 */
		public Builder commitListeners(List<OutboxCommitListener> listeners) {
			Assert.notNull(listeners, "listeners must not be null");
			Assert.noNullElements(listeners, "listeners must not contain null");
			this.commitListeners = List.copyOf(listeners);
			return this;
		}

		/**
		 * Set the contributors of headers added to every event when it is recorded, in
		 * list order (the event's own headers win), for example the trace context.
		 * @param contributors the contributors
		 * @return this builder
		 */
		public Builder headerContributors(List<OutboxHeaderContributor> contributors) {
			Assert.notNull(contributors, "contributors must not be null");
			Assert.noNullElements(contributors, "contributors must not contain null");
			this.headerContributors = List.copyOf(contributors);
			return this;
		}

		/**
		 * Set the PostgreSQL channel notified after the commit of transactions that
		 * recorded events (outside them, coalesced: at most one notification every few
		 * milliseconds), or {@code null} or empty to send no notification (default:
		 * {@link #DEFAULT_NOTIFY_CHANNEL}).
		 * @param channel the channel, by the {@link SqlIdentifiers} rule (the relay's
		 * {@code LISTEN} must name the same channel)
		 * @return this builder
		 * @throws IllegalArgumentException if the channel breaks the rule
		 */
		public Builder notifyChannel(@Nullable String channel) {
			this.notifyChannel = (channel == null || channel.isEmpty()) ? null
					: SqlIdentifiers.requireValid(channel, "notifyChannel", DEFAULT_NOTIFY_CHANNEL);
			return this;
		}

		/**
		 * Set the database (default: read from a connection at the first write).
		 * @param database the database, or {@code null} to read it from the connection
		 * @return this builder
		 */
		public Builder database(@Nullable OutboxDatabase database) {
			this.database = database;
			return this;
		}

		/**
		 * Build the outbox.
		 * @return the outbox
		 */
		public JdbcOutbox build() {
			return new JdbcOutbox(this);
		}

	}

}
