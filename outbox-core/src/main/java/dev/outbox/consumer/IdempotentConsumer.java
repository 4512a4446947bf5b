package dev.outbox.consumer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

import javax.sql.DataSource;

import dev.outbox.OutboxDatabase;
import dev.outbox.OutboxTables;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.util.Assert;

/**
 * Exactly-once effects on top of at-least-once delivery: runs a message handler at most
 * once per (consumer, message id).
 * <p>
 * In one transaction (the caller's if one is active on the transaction manager, a new one
 * otherwise) it first inserts (consumer, message id) into the processed-message table
 * without failing the transaction on a duplicate ({@code on conflict do nothing} on
 * PostgreSQL, {@code insert ignore} on MariaDB and MySQL), then runs the handler only if
 * the row was new. If the handler throws (any exception, checked ones included), the
 * transaction rolls back: nothing is recorded and a redelivery processes the message
 * again. If it returns, the id commits together with the handler's own database work, and
 * later copies are skipped. Two consumers receiving the same message at once produce one
 * effect: the second insert waits for the first transaction and is then skipped (or
 * proceeds if the first rolled back). Use the default isolation level READ COMMITTED:
 * under REPEATABLE READ or SERIALIZABLE PostgreSQL reports such a concurrent duplicate as
 * a serialization failure instead, which a redelivery then skips. On MariaDB and MySQL
 * the second insert waits in the same way, under their default REPEATABLE READ too.
 * <pre class="code">
 * boolean processed = idempotentConsumer.process("billing", messageId, () -&gt; billing.charge(order));
 * </pre>
 *
 * @see IdempotentListener
 */
public final class IdempotentConsumer {

	/** Default number of rows deleted per statement by {@link #purge(Duration)}. */
	public static final int DEFAULT_PURGE_BATCH_SIZE = 1000;

	/** Default retention of processed message ids. */
	public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);

	/** Longest consumer name or message id the processed-message table holds. */
	public static final int MAX_LENGTH = 255;

	private static final Log logger = LogFactory.getLog(IdempotentConsumer.class);

	private final JdbcTemplate jdbc;

	private final OutboxTables tables;

	private final HandlerTransaction transaction;

	private final Clock clock;

	private final MessageIdPolicy ids;

	private final IdempotentConsumerListener listener;

	private final int purgeBatchSize;

	/** The store of the database, once known. */
	private volatile @Nullable ProcessedMessageStore store;

	private IdempotentConsumer(Builder builder) {
		this.jdbc = new JdbcTemplate(builder.dataSource);
		this.tables = builder.tables;
		this.transaction = new HandlerTransaction(builder.transactionManager);
		this.clock = builder.clock;
		this.ids = new MessageIdPolicy(builder.missingMessageId);
		this.listener = builder.listener;
		this.purgeBatchSize = builder.purgeBatchSize;
		if (builder.database != null) {
			this.store = ProcessedMessageStore.of(builder.database, this.jdbc, this.tables);
		}
	}

	/**
	 * Start building an idempotent consumer.
	 * @param dataSource the database holding the processed-message table, the same the
	 * handlers write to
	 * @param transactionManager the transaction manager of that database
	 * @return a builder
	 */
	public static Builder builder(DataSource dataSource, PlatformTransactionManager transactionManager) {
		return new Builder(dataSource, transactionManager);
	}

	/**
	 * Run {@code handler} unless {@code consumer} already processed {@code messageId}.
	 * @param consumer the consumer name (stable, at most 255 characters)
	 * @param messageId the message id, for example the {@code outbox-message-id} header;
	 * {@code null} or blank is handled per the {@link MissingMessageIdPolicy}
	 * @param handler the work to do once, writing through the same data source
	 * @return {@code true} if the handler ran, {@code false} if the message was a
	 * duplicate and was skipped
	 * @throws MissingMessageIdException if there is no message id and the policy is
	 * {@link MissingMessageIdPolicy#REJECT}
	 */
	public boolean process(String consumer, @Nullable String messageId, Runnable handler) {
		Assert.notNull(handler, "handler must not be null");
		return !call(consumer, messageId, () -> {
			handler.run();
			return null;
		}).duplicate();
	}

	/**
	 * Call {@code handler} unless {@code consumer} already processed {@code messageId},
	 * and return its result.
	 * @param <T> the result type
	 * @param consumer the consumer name (stable, at most 255 characters)
	 * @param messageId the message id; {@code null} or blank is handled per the
	 * {@link MissingMessageIdPolicy}
	 * @param handler the work to do once, writing through the same data source
	 * @return the outcome: the handler's result, or a duplicate
	 * @throws MissingMessageIdException if there is no message id and the policy is
	 * {@link MissingMessageIdPolicy#REJECT}
	 */
	public <T> Outcome<T> call(String consumer, @Nullable String messageId, Supplier<? extends @Nullable T> handler) {
		Assert.notNull(handler, "handler must not be null");
		try {
			return invoke(consumer, messageId, handler::get);
		}
		catch (RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			// a Supplier cannot throw a checked exception
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Run a handler that may throw any exception; checked exceptions roll back too and
	 * are rethrown unchanged.
	 */
	<T> Outcome<T> invoke(String consumer, @Nullable String messageId, Handler<? extends @Nullable T> handler)
			throws Throwable {
		MessageIdPolicy.checkConsumer(consumer);
		String id = this.ids.checkedId(consumer, messageId);
		if (id == null) {
			this.ids.warnOfMissingIds(consumer);
			Outcome<T> outcome = this.transaction.execute(() -> new Outcome<>(false, handler.handle()));
			this.listener.processedWithoutMessageId(consumer);
			return outcome;
		}
		Outcome<T> outcome = this.transaction.execute(() -> {
			boolean recorded = store().record(consumer, id, this.clock.instant());
			return recorded ? new Outcome<>(false, handler.handle()) : new Outcome<>(true, null);
		});
		if (outcome.duplicate()) {
			skipped(consumer, id);
		}
		return outcome;
	}

	/**
	 * Run {@code handler} once with those of {@code messages} that {@code consumer} has
	 * not processed yet, for a batch listener: their ids are recorded in the same
	 * transaction as the handler's work (in one statement on PostgreSQL). A message whose
	 * id was processed before, or appears earlier in the same batch, is left out; if
	 * every message is left out, the handler is not called. Messages without an id are
	 * handled per the {@link MissingMessageIdPolicy}: the whole batch is rejected, or
	 * they are passed on without deduplication. Any exception rolls back the ids and the
	 * handler's work.
	 * @param <M> the message type
	 * @param consumer the consumer name (stable, at most 255 characters)
	 * @param messages the batch, in delivery order
	 * @param messageId reads the message id of one message, {@code null} if it has none
	 * @param handler the work to do once per message, writing through the same data
	 * source; called with the new messages in their order
	 * @return the messages passed to the handler (empty if it was not called)
	 * @throws MissingMessageIdException if a message has no id and the policy is
	 * {@link MissingMessageIdPolicy#REJECT}
	 */
	public <M> List<M> processBatch(String consumer, List<? extends M> messages,
			Function<? super M, @Nullable String> messageId, Consumer<List<M>> handler) {
		Assert.notNull(handler, "handler must not be null");
		try {
			return this.<M, Object>invokeBatch(consumer, messages, messageId, (fresh) -> {
				handler.accept(fresh);
				return null;
			}).messages();
		}
		catch (RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			// a Consumer cannot throw a checked exception
			throw new IllegalStateException(ex);
		}
	}

	<M, T> Batch<M, T> invokeBatch(String consumer, List<? extends M> messages,
			Function<? super M, @Nullable String> messageId, BatchHandler<M, ? extends @Nullable T> handler)
			throws Throwable {
		MessageIdPolicy.checkConsumer(consumer);
		Assert.notNull(messages, "messages must not be null");
		Assert.notNull(messageId, "messageId must not be null");
		List<@Nullable String> ids = new ArrayList<>(messages.size());
		int missing = 0;
		for (M message : messages) {
			String id = this.ids.checkedId(consumer, messageId.apply(message));
			missing += (id == null) ? 1 : 0;
			ids.add(id);
		}
		if (missing > 0) {
			this.ids.warnOfMissingIds(consumer);
		}
		List<String> duplicates = new ArrayList<>();
		Batch<M, T> batch = this.transaction.execute(() -> {
			Set<String> fresh = claim(consumer, ids);
			List<M> selected = new ArrayList<>(messages.size());
			duplicates.clear();
			for (int i = 0; i < messages.size(); i++) {
				String id = ids.get(i);
				if (id == null || fresh.remove(id)) {
					selected.add(messages.get(i));
				}
				else {
					duplicates.add(id);
				}
			}
			T value = selected.isEmpty() ? null : handler.handle(selected);
			return new Batch<>(List.copyOf(selected), value);
		});
		for (int i = 0; i < missing; i++) {
			this.listener.processedWithoutMessageId(consumer);
		}
		duplicates.forEach((id) -> skipped(consumer, id));
		return batch;
	}

	private void skipped(String consumer, String id) {
		if (logger.isDebugEnabled()) {
			logger.debug("Idempotent consumer '" + consumer + "' skipped duplicate message " + id);
		}
		this.listener.duplicateSkipped(consumer, id);
	}

	/**
	 * Records the ids for the consumer; the ones recorded now (not before) are returned,
	 * each once however often it appears. Sorted, so that two batches sharing ids lock
	 * them in the same order and cannot deadlock.
	 */
	private Set<String> claim(String consumer, List<@Nullable String> ids) {
		List<String> distinct = ids.stream().filter(Objects::nonNull).distinct().sorted().toList();
		if (distinct.isEmpty()) {
			return new HashSet<>();
		}
		return new HashSet<>(store().recordAll(consumer, distinct, this.clock.instant()));
	}

	/**
	 * Whether {@code consumer} has processed {@code messageId} (committed).
	 * @param consumer the consumer name
	 * @param messageId the message id
	 * @return whether a record exists
	 */
	public boolean isProcessed(String consumer, String messageId) {
		MessageIdPolicy.checkConsumer(consumer);
		Assert.hasText(messageId, "messageId must not be null or blank");
		return store().isProcessed(consumer, messageId);
	}

	/**
	 * Delete the records of messages processed longer than {@code retention} ago, in
	 * batches (each batch commits on its own unless a transaction is active). A
	 * redelivery of a purged message would be processed again: keep the retention longer
	 * than any redelivery can happen (broker retention, consumer lag, replays).
	 * @param retention how long to keep processed message ids
	 * @return the number of rows deleted
	 */
	public long purge(Duration retention) {
		Assert.notNull(retention, "retention must not be null");
		if (retention.isNegative()) {
			throw new IllegalArgumentException("retention must not be negative, was " + retention);
		}
		Instant cutoff = this.clock.instant().minus(retention);
		ProcessedMessageStore store = store();
		long total = 0;
		int deleted;
		do {
			deleted = store.purge(cutoff, this.purgeBatchSize);
			total += deleted;
		}
		while (deleted >= this.purgeBatchSize);
		if (total > 0 && logger.isDebugEnabled()) {
			logger.debug("Purged " + total + " processed message ids older than " + retention);
		}
		return total;
	}

	/**
	 * The store of the database, read from a connection (the transaction's, if one is
	 * active) at the first use.
	 */
	private ProcessedMessageStore store() {
		ProcessedMessageStore current = this.store;
		if (current == null) {
			OutboxDatabase database = this.jdbc.execute(
					(ConnectionCallback<OutboxDatabase>) (connection) -> OutboxDatabase.of(connection.getMetaData()));
			current = ProcessedMessageStore.of(Objects.requireNonNull(database), this.jdbc, this.tables);
			this.store = current;
		}
		return current;
	}

	/**
	 * A handler that may throw anything.
	 *
	 * @param <T> the result type
	 */
	@FunctionalInterface
	interface Handler<T> {

		T handle() throws Throwable;

	}

	/**
	 * A batch handler that may throw anything.
	 *
	 * @param <M> the message type
	 * @param <T> the result type
	 */
	@FunctionalInterface
	interface BatchHandler<M, T> {

		T handle(List<M> messages) throws Throwable;

	}

	/**
	 * What a batch did: the messages passed to the handler and its result.
	 *
	 * @param <M> the message type
	 * @param <T> the result type
	 */
	record Batch<M, T>(List<M> messages, @Nullable T value) {

	}

	/**
	 * What {@link #call} did.
	 *
	 * @param <T> the result type
	 * @param duplicate whether the message had been processed already and the handler was
	 * skipped
	 * @param value the handler's result, {@code null} for a duplicate
	 */
	public record Outcome<T>(boolean duplicate, @Nullable T value) {

	}

	/**
	 * Builds an {@link IdempotentConsumer}.
	 */
	public static final class Builder {

		private final DataSource dataSource;

		private final PlatformTransactionManager transactionManager;

		private OutboxTables tables = OutboxTables.defaults();

		private Clock clock = Clock.systemUTC();

		private MissingMessageIdPolicy missingMessageId = MissingMessageIdPolicy.REJECT;

		private IdempotentConsumerListener listener = IdempotentConsumerListener.NONE;

		private int purgeBatchSize = DEFAULT_PURGE_BATCH_SIZE;

		private @Nullable OutboxDatabase database;

		private Builder(DataSource dataSource, PlatformTransactionManager transactionManager) {
			Assert.notNull(dataSource, "dataSource must not be null");
			this.dataSource = dataSource;
			Assert.notNull(transactionManager, "transactionManager must not be null");
			this.transactionManager = transactionManager;
		}

		/**
		 * The table names (default {@link OutboxTables#defaults()}).
		 * @param tables the tables
		 * @return this builder
		 */
		public Builder tables(OutboxTables tables) {
			Assert.notNull(tables, "tables must not be null");
			this.tables = tables;
			return this;
		}

		/**
		 * The clock for {@code processed_at} and the purge cut-off (default UTC system
		 * clock).
		 * @param clock the clock
		 * @return this builder
		 */
		public Builder clock(Clock clock) {
			Assert.notNull(clock, "clock must not be null");
			this.clock = clock;
			return this;
		}

		/**
		 * What to do with a message without an id (default
		 * {@link MissingMessageIdPolicy#REJECT}).
		 * @param policy the policy
		 * @return this builder
		 */
		public Builder missingMessageId(MissingMessageIdPolicy policy) {
			Assert.notNull(policy, "policy must not be null");
			this.missingMessageId = policy;
			return this;
		}

		/**
		 * Callbacks for metrics (default none).
		 * @param listener the listener
		 * @return this builder
		 */
		public Builder listener(IdempotentConsumerListener listener) {
			Assert.notNull(listener, "listener must not be null");
			this.listener = listener;
			return this;
		}

		/**
		 * Rows deleted per purge statement (default
		 * {@value IdempotentConsumer#DEFAULT_PURGE_BATCH_SIZE}).
		 * @param purgeBatchSize a positive number
		 * @return this builder
		 */
		public Builder purgeBatchSize(int purgeBatchSize) {
			if (purgeBatchSize < 1) {
				throw new IllegalArgumentException("purgeBatchSize must be positive, was " + purgeBatchSize);
			}
			this.purgeBatchSize = purgeBatchSize;
			return this;
		}

		/**
		 * The database (default: read from a connection at the first use).
		 * @param database the database, or {@code null} to read it from the connection
		 * @return this builder
		 */
		public Builder database(@Nullable OutboxDatabase database) {
			this.database = database;
			return this;
		}

		/**
		 * Build the consumer.
		 * @return the idempotent consumer
		 */
		public IdempotentConsumer build() {
			return new IdempotentConsumer(this);
		}

	}

}
