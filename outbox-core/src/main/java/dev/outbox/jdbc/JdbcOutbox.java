package dev.outbox.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import javax.sql.DataSource;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.util.Assert;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxException;
import dev.outbox.OutboxTables;
import dev.outbox.SqlIdentifiers;
import dev.outbox.json.JacksonPayloadSerializer;
import dev.outbox.spi.OutboxCommitListener;
import dev.outbox.spi.OutboxHeaderContributor;
import dev.outbox.spi.Partitions;
import dev.outbox.spi.PayloadSerializer;

/**
 * The PostgreSQL {@link Outbox}: writes each event as a row of the outbox table over the
 * connection of the current Spring-managed transaction, so it commits or rolls back with
 * the business change.
 * <p>
 * The transaction must be run by a transaction manager that binds a connection of the
 * same {@link DataSource} ({@code DataSourceTransactionManager},
 * {@code JdbcTransactionManager}, or {@code JpaTransactionManager} over that
 * {@code DataSource}); otherwise, and in a read-only transaction, publishing fails at
 * once with an {@link OutboxException}.
 * <p>
 * Before inserting, each call takes a transaction-scoped advisory lock on a hash of each
 * message key (in the same statement as the insert). Two transactions recording events
 * with the same key are therefore serialized, so the {@code seq} order of a key's rows is
 * the order in which their transactions committed. {@link #publishAll(List)} locks the
 * distinct keys in ascending order. A transaction that publishes several keys in separate
 * calls, in a different order than a concurrent one, can deadlock; PostgreSQL then aborts
 * one of them, as with row locks. Every writer also holds a shared lock of the table's
 * writers; a transaction whose first call is a {@code publishAll} of more than 32
 * distinct keys (a bulk import, say) takes that lock exclusively instead of any key lock,
 * so PostgreSQL's lock table ({@code max_locks_per_transaction}) cannot run out, at the
 * price of the other writers of the outbox waiting until it commits. A transaction that
 * locks keys call by call holds one lock per distinct key, as many as the lock table
 * allows (a few thousand by default).
 * <p>
 * After the commit of a transaction that recorded events, the {@link OutboxCommitListener
 * commit listeners} are called (the relay of this application wakes up), and relays in
 * other processes are woken by {@code pg_notify(channel, '')}, sent outside the business
 * transaction by a notifier thread on a connection of its own (borrowed from the data
 * source while commits keep coming): a PostgreSQL transaction that notifies takes a
 * cluster-wide lock for its commit, which would serialize the commits of every writer.
 * Commits in quick succession share one notification (at most one every few
 * milliseconds). A notification that fails, or a process that dies between the commit and
 * the notification, leaves the other relays to find the events at their next poll; a
 * rolled-back transaction sends none.
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

	/** Longest value of the text columns (destination, aggregate type and id, ...). */
	static final int MAX_TEXT_LENGTH = 255;

	/**
	 * Most distinct message keys the first write of a transaction locks one by one; past
	 * it, the transaction locks out the other writers of the table instead (PostgreSQL's
	 * lock table is sized by {@code max_locks_per_transaction}, 64 by default).
	 */
	static final int MAX_KEY_LOCKS_PER_TRANSACTION = 32;

	private static final long WRITERS_LOCK_PREFIX = 0x6F75_7462_0000_0000L;

	private static final Log logger = LogFactory.getLog(JdbcOutbox.class);

	private static final String COLUMNS = "id, aggregate_type, aggregate_id, event_type, destination, routing_key, "
			+ "message_key, partition_no, payload, content_type, headers, created_at, available_at, expires_at";

	private final DataSource dataSource;

	private final OutboxTables tables;

	private final PayloadSerializer serializer;

	private final int maxPayloadSize;

	private final int maxHeaders;

	private final int maxHeaderSize;

	private final int partitions;

	private final Clock clock;

	private final List<OutboxCommitListener> commitListeners;

	private final List<OutboxHeaderContributor> headerContributors;

	private final @Nullable String notifyChannel;

	private final @Nullable CommitNotifier notifier;

	private final UuidV7Generator ids;

	private final int lockClass;

	private final long writersLock;

	/** Indexed by [exclusive ? 1 : 0]. */
	private final String[] insertOne = new String[2];

	/** Indexed by [exclusive ? 1 : 0]. */
	private final String[] insertMany = new String[2];

	private JdbcOutbox(Builder builder) {
		this.dataSource = builder.dataSource;
		this.tables = builder.tables;
		this.serializer = builder.serializer;
		this.maxPayloadSize = builder.maxPayloadSize;
		this.maxHeaders = builder.maxHeaders;
		this.maxHeaderSize = builder.maxHeaderSize;
		this.partitions = builder.partitions;
		this.clock = builder.clock;
		this.commitListeners = List.copyOf(builder.commitListeners);
		this.headerContributors = List.copyOf(builder.headerContributors);
		this.notifyChannel = builder.notifyChannel;
		this.notifier = (this.notifyChannel != null)
				? new CommitNotifier(this.dataSource, this.notifyChannel, CommitNotifier.DEFAULT_INTERVAL) : null;
		this.ids = new UuidV7Generator(this.clock);
		this.lockClass = ("outbox:" + this.tables.qualifiedEventTable()).hashCode();
		// a single-bigint advisory lock never conflicts with the two-int key locks
		this.writersLock = WRITERS_LOCK_PREFIX | (this.lockClass & 0xFFFF_FFFFL);
		for (int exclusive = 0; exclusive < 2; exclusive++) {
			this.insertOne[exclusive] = insertOneSql(exclusive == 1);
			this.insertMany[exclusive] = insertManySql(exclusive == 1);
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
		Row row = toRow(event, now);
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
		List<Row> rows = new ArrayList<>(events.size());
		for (OutboxEvent event : events) {
			rows.add(toRow(event, now));
		}
		write(rows, now);
		return rows.stream().map(Row::id).toList();
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

	private Row toRow(OutboxEvent event, Instant now) {
		checkLength(event, "destination", event.destination());
		checkLength(event, "routingKey", event.routingKey());
		checkLength(event, "aggregateType", event.aggregateType());
		checkLength(event, "aggregateId", event.aggregateId());
		checkLength(event, "eventType", event.eventType());
		checkLength(event, "key", event.key());
		Map<String, String> headers = headers(event);
		long headersSize = checkHeaders(event, headers);
		byte[] payload;
		try {
			payload = this.serializer.serialize(event.payload());
		}
		catch (RuntimeException ex) {
			// the cause's message is left out: it may quote the payload
			throw new OutboxException("Could not serialize the payload of event type '" + event.eventType()
					+ "' for destination '" + event.destination() + "' with "
					+ this.serializer.getClass().getSimpleName() + " (" + ex.getClass().getName()
					+ "): make the payload serializable, or configure another PayloadSerializer", ex);
		}
		if (payload.length + headersSize > this.maxPayloadSize) {
			throw new OutboxException("The event of " + typeAndDestination(event) + " is "
					+ (payload.length + headersSize) + " bytes (payload " + payload.length + ", headers " + headersSize
					+ "), over the limit of " + this.maxPayloadSize
					+ " bytes (outbox.max-payload-size): send a smaller payload, for example a reference to the "
					+ "data, or raise the limit within what the broker accepts");
		}
		Instant availableAt = (event.availableAt() != null) ? event.availableAt() : now;
		return new Row(this.ids.next(), event, Partitions.of(event.key(), this.partitions), payload,
				HeadersJson.write(headers), availableAt);
	}

	private Map<String, String> headers(OutboxEvent event) {
		if (this.headerContributors.isEmpty()) {
			return event.headers();
		}
		Map<String, String> headers = new LinkedHashMap<>();
		for (OutboxHeaderContributor contributor : this.headerContributors) {
			headers.putAll(contributor.headers(event));
		}
		headers.putAll(event.headers());
		return headers;
	}

	/**
	 * Checks the headers against the limits and what {@code jsonb} can store; returns
	 * their size, names and values in UTF-8 bytes. Values are never quoted: they may hold
	 * secrets.
	 */
	private long checkHeaders(OutboxEvent event, Map<String, String> headers) {
		if (headers.size() > this.maxHeaders) {
			throw new OutboxException("The event of " + typeAndDestination(event) + " has " + headers.size()
					+ " headers, over the limit of " + this.maxHeaders
					+ " (outbox.max-headers): send fewer headers, or raise the limit");
		}
		long total = 0;
		for (Map.Entry<String, String> header : headers.entrySet()) {
			String name = abbreviate(header.getKey().replace('\u0000', '?'));
			if (!HeadersJson.isStorable(header.getKey()) || !HeadersJson.isStorable(header.getValue())) {
				throw new OutboxException("Header '" + name + "' of event " + typeAndDestination(event)
						+ " contains a NUL character, which PostgreSQL jsonb cannot store: remove it");
			}
			long size = HeadersJson.utf8Length(header.getKey()) + HeadersJson.utf8Length(header.getValue());
			if (size > this.maxHeaderSize) {
				throw new OutboxException("Header '" + name + "' of event " + typeAndDestination(event) + " is " + size
						+ " bytes (name and value), over the limit of " + this.maxHeaderSize
						+ " bytes (outbox.max-header-size): send a shorter header, or raise the limit");
			}
			total += size;
		}
		return total;
	}

	private static void checkLength(OutboxEvent event, String name, @Nullable String value) {
		if (value != null && value.length() > MAX_TEXT_LENGTH) {
			throw new OutboxException("The " + name + " of event " + typeAndDestination(event) + " is " + value.length()
					+ " characters long, over the limit of " + MAX_TEXT_LENGTH + ": shorten it");
		}
	}

	/**
	 * "type 'x' for destination 'y'", each cut to 80 characters, for the messages of
	 * events that are refused.
	 */
	private static String typeAndDestination(OutboxEvent event) {
		return "type '" + abbreviate(event.eventType()) + "' for destination '" + abbreviate(event.destination()) + "'";
	}

	private static String abbreviate(String value) {
		return (value.length() <= 80) ? value : value.substring(0, 77) + "...";
	}

	private void write(List<Row> rows, Instant now) {
		CommitSynchronization transaction = findSynchronization();
		boolean first = transaction == null;
		if (transaction == null) {
			transaction = new CommitSynchronization(this);
		}
		TreeSet<Integer> newLocks = new TreeSet<>();
		if (!transaction.exclusive) {
			for (Row row : rows) {
				int lockKey = row.event().key().hashCode();
				if (!transaction.lockedKeys.contains(lockKey)) {
					newLocks.add(lockKey);
				}
			}
		}
		// Only a transaction's first write may take the writers lock exclusively: one
		// that already holds it shared would have to upgrade, and two upgrading at once
		// deadlock.
		boolean exclusive = transaction.exclusive || (first && newLocks.size() > MAX_KEY_LOCKS_PER_TRANSACTION);
		Connection connection = DataSourceUtils.getConnection(this.dataSource);
		try {
			if (rows.size() == 1) {
				insertOne(connection, rows.get(0), now, exclusive);
			}
			else {
				insertMany(connection, rows, now, exclusive, newLocks);
			}
		}
		catch (SQLException ex) {
			throw new OutboxException("Could not record " + rows.size() + " outbox event(s) in "
					+ this.tables.qualifiedEventTable() + ": " + ex.getMessage(), ex);
		}
		finally {
			DataSourceUtils.releaseConnection(connection, this.dataSource);
		}
		if (exclusive) {
			transaction.exclusive = true;
			transaction.lockedKeys.clear();
		}
		else {
			transaction.lockedKeys.addAll(newLocks);
		}
		if (first) {
			TransactionSynchronizationManager.registerSynchronization(transaction);
		}
	}

	private @Nullable CommitSynchronization findSynchronization() {
		for (TransactionSynchronization synchronization : TransactionSynchronizationManager.getSynchronizations()) {
			if (synchronization instanceof CommitSynchronization commit && commit.outbox == this) {
				return commit;
			}
		}
		return null;
	}

	private void insertOne(Connection connection, Row row, Instant now, boolean exclusive) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(this.insertOne[exclusive ? 1 : 0])) {
			int i = 1;
			statement.setLong(i++, this.writersLock);
			if (!exclusive) {
				statement.setInt(i++, this.lockClass);
				statement.setInt(i++, row.event().key().hashCode());
			}
			OutboxEvent event = row.event();
			statement.setObject(i++, row.id());
			statement.setString(i++, event.aggregateType());
			statement.setString(i++, event.aggregateId());
			statement.setString(i++, event.eventType());
			statement.setString(i++, event.destination());
			if (event.routingKey() != null) {
				statement.setString(i++, event.routingKey());
			}
			else {
				statement.setNull(i++, Types.VARCHAR);
			}
			statement.setString(i++, event.key());
			statement.setInt(i++, row.partition());
			statement.setBytes(i++, row.payload());
			statement.setString(i++, this.serializer.contentType());
			statement.setString(i++, row.headers());
			statement.setObject(i++, timestamp(now));
			statement.setObject(i++, timestamp(row.availableAt()));
			statement.setObject(i++, (event.expiresAt() != null) ? timestamp(event.expiresAt()) : null,
					Types.TIMESTAMP_WITH_TIMEZONE);
			statement.executeUpdate();
		}
	}

	private void insertMany(Connection connection, List<Row> rows, Instant now, boolean exclusive,
			TreeSet<Integer> lockKeys) throws SQLException {
		int size = rows.size();
		UUID[] ids = new UUID[size];
		String[] aggregateTypes = new String[size];
		String[] aggregateIds = new String[size];
		String[] eventTypes = new String[size];
		String[] destinations = new String[size];
		@Nullable String[] routingKeys = new String[size];
		String[] keys = new String[size];
		Integer[] partitionNumbers = new Integer[size];
		byte[][] payloads = new byte[size][];
		String[] headers = new String[size];
		String[] availableAts = new String[size];
		String[] expiresAts = new String[size];
		for (int r = 0; r < size; r++) {
			Row row = rows.get(r);
			OutboxEvent event = row.event();
			ids[r] = row.id();
			aggregateTypes[r] = event.aggregateType();
			aggregateIds[r] = event.aggregateId();
			eventTypes[r] = event.eventType();
			destinations[r] = event.destination();
			routingKeys[r] = event.routingKey();
			keys[r] = event.key();
			partitionNumbers[r] = row.partition();
			payloads[r] = row.payload();
			headers[r] = row.headers();
			availableAts[r] = row.availableAt().toString();
			expiresAts[r] = (event.expiresAt() != null) ? event.expiresAt().toString() : null;
		}
		try (PreparedStatement statement = connection.prepareStatement(this.insertMany[exclusive ? 1 : 0])) {
			int i = 1;
			statement.setLong(i++, this.writersLock);
			if (!exclusive) {
				statement.setInt(i++, this.lockClass);
				statement.setArray(i++, connection.createArrayOf("int4", lockKeys.toArray(Integer[]::new)));
			}
			statement.setString(i++, this.serializer.contentType());
			statement.setObject(i++, timestamp(now));
			statement.setArray(i++, connection.createArrayOf("uuid", ids));
			statement.setArray(i++, connection.createArrayOf("text", aggregateTypes));
			statement.setArray(i++, connection.createArrayOf("text", aggregateIds));
			statement.setArray(i++, connection.createArrayOf("text", eventTypes));
			statement.setArray(i++, connection.createArrayOf("text", destinations));
			statement.setArray(i++, connection.createArrayOf("text", routingKeys));
			statement.setArray(i++, connection.createArrayOf("text", keys));
			statement.setArray(i++, connection.createArrayOf("int4", partitionNumbers));
			statement.setArray(i++, connection.createArrayOf("bytea", payloads));
			statement.setArray(i++, connection.createArrayOf("text", headers));
			statement.setArray(i++, connection.createArrayOf("text", availableAts));
			statement.setArray(i++, connection.createArrayOf("text", expiresAts));
			statement.executeUpdate();
		}
	}

	/**
	 * The locks taken before inserting: the table's writers lock, shared (or exclusive
	 * for a transaction past {@link #MAX_KEY_LOCKS_PER_TRANSACTION} keys), then the keys'
	 * locks ({@code keyLocks}, absent when exclusive). Volatile CTEs are evaluated once
	 * each.
	 */
	private static String locks(boolean exclusive, String keyLocks) {
		return "with outbox_writers as (select "
				+ (exclusive ? "pg_advisory_xact_lock" : "pg_advisory_xact_lock_shared") + "(cast(? as bigint)))"
				+ (exclusive ? "" : ", outbox_lock as (" + keyLocks + ")");
	}

	private static String lockTables(boolean exclusive) {
		return "outbox_writers" + (exclusive ? "" : ", outbox_lock");
	}

	private String insertOneSql(boolean exclusive) {
		return locks(exclusive, "select pg_advisory_xact_lock(?, ?)") + " insert into "
				+ this.tables.qualifiedEventTable() + " (" + COLUMNS + ")"
				+ " select ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, cast(? as jsonb), ?, ?, ? from " + lockTables(exclusive);
	}

	private String insertManySql(boolean exclusive) {
		// the key locks are taken in array order (ascending) by the aggregate, which must
		// finish before the first row can be joined and inserted; rows are inserted in
		// list order
		return locks(exclusive, "select count(pg_advisory_xact_lock(?, k)) as n from unnest(cast(? as int4[])) as k")
				+ " insert into " + this.tables.qualifiedEventTable() + " (" + COLUMNS + ")"
				+ " select e.id, e.aggregate_type, e.aggregate_id, e.event_type, e.destination, e.routing_key,"
				+ " e.message_key, e.partition_no, e.payload, ?, cast(e.headers as jsonb), ?,"
				+ " cast(e.available_at as timestamptz), cast(e.expires_at as timestamptz) from "
				+ lockTables(exclusive)
				+ ", unnest(cast(? as uuid[]), cast(? as text[]), cast(? as text[]), cast(? as text[]),"
				+ " cast(? as text[]), cast(? as text[]), cast(? as text[]), cast(? as int4[]), cast(? as bytea[]),"
				+ " cast(? as text[]), cast(? as text[]), cast(? as text[])) with ordinality as e(id, aggregate_type,"
				+ " aggregate_id, event_type, destination, routing_key, message_key, partition_no, payload, headers,"
				+ " available_at, expires_at, ord) order by e.ord";
	}

	private static OffsetDateTime timestamp(Instant instant) {
		return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
	}

	private void afterCommit() {
		for (OutboxCommitListener listener : this.commitListeners) {
			try {
				listener.afterCommit();
			}
			catch (Throwable ex) {
				logger.warn("Outbox commit listener " + listener + " failed; the relay will still find the events "
						+ "at its next poll", ex);
			}
		}
		if (this.notifier != null) {
			this.notifier.request();
		}
	}

	/**
	 * Stop the notifier thread, after it sent the notification still due, if any. Events
	 * recorded afterwards are written as before, but relays in other processes find them
	 * at their next poll only.
	 */
	@Override
	public void close() {
		if (this.notifier != null) {
			this.notifier.close(Duration.ofSeconds(2));
		}
	}

	/**
	 * An event ready to insert.
	 */
	private record Row(UUID id, OutboxEvent event, int partition, byte[] payload, String headers, Instant availableAt) {

	}

	/**
	 * Registered once per transaction that recorded events; remembers the locks the
	 * transaction holds, and calls the commit listeners and asks for the notification
	 * after the commit.
	 */
	private static final class CommitSynchronization implements TransactionSynchronization {

		private final JdbcOutbox outbox;

		/** The key locks this transaction holds. */
		private final Set<Integer> lockedKeys = new HashSet<>();

		/** Whether this transaction holds the table's writers lock exclusively. */
		private boolean exclusive;

		CommitSynchronization(JdbcOutbox outbox) {
			this.outbox = outbox;
		}

		@Override
		public void afterCommit() {
			this.outbox.afterCommit();
		}

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
		 * Build the outbox.
		 * @return the outbox
		 */
		public JdbcOutbox build() {
			return new JdbcOutbox(this);
		}

	}

}
