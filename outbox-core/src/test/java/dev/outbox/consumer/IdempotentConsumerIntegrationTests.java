package dev.outbox.consumer;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.outbox.test.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * {@link IdempotentConsumer} against a real PostgreSQL and a real MariaDB.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
class IdempotentConsumerIntegrationTests {

	private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");

	private static ConsumerTestDatabase db;

	@Parameter
	String product;

	private final MutableClock clock = new MutableClock(NOW);

	private final List<String> duplicates = new CopyOnWriteArrayList<>();

	private final AtomicInteger withoutId = new AtomicInteger();

	private IdempotentConsumer consumer;

	private ExecutorService executor;

	@BeforeParameterizedClassInvocation
	static void createDatabase(String product) {
		db = new ConsumerTestDatabase(product);
	}

	@AfterParameterizedClassInvocation
	static void dropDatabase() {
		if (db != null) {
			db.close();
			db = null;
		}
	}

	@BeforeEach
	void setUp() {
		db.jdbc.update("delete from effect");
		db.jdbc.update("delete from " + db.tables.qualifiedProcessedTable());
		this.consumer = consumer(MissingMessageIdPolicy.REJECT).build();
		this.executor = Executors.newFixedThreadPool(8);
	}

	@AfterEach
	void tearDown() {
		this.executor.shutdownNow();
	}

	private IdempotentConsumer.Builder consumer(MissingMessageIdPolicy policy) {
		return IdempotentConsumer.builder(db.dataSource, db.transactionManager)
			.tables(db.tables)
			.clock(this.clock)
			.missingMessageId(policy)
			.listener(new IdempotentConsumerListener() {

				@Override
				public void duplicateSkipped(String consumer, String messageId) {
					IdempotentConsumerIntegrationTests.this.duplicates.add(consumer + "/" + messageId);
				}

				@Override
				public void processedWithoutMessageId(String consumer) {
					IdempotentConsumerIntegrationTests.this.withoutId.incrementAndGet();
				}

			});
	}

	@Test
	void duplicateDeliveryIsSkippedAndCounted() {
		String id = UUID.randomUUID().toString();
		boolean first = this.consumer.process("billing", id, () -> db.recordEffect(id));
		boolean second = this.consumer.process("billing", id, () -> db.recordEffect(id));
		assertThat(first).isTrue();
		assertThat(second).isFalse();
		assertThat(db.effects()).isEqualTo(1);
		assertThat(db.processed("billing")).isEqualTo(1);
		assertThat(this.duplicates).containsExactly("billing/" + id);
		assertThat(this.consumer.isProcessed("billing", id)).isTrue();
	}

	@Test
	void consumersWithDifferentNamesProcessTheSameMessageIndependently() {
		String id = UUID.randomUUID().toString();
		assertThat(this.consumer.process("billing", id, () -> db.recordEffect(id))).isTrue();
		assertThat(this.consumer.process("shipping", id, () -> db.recordEffect(id))).isTrue();
		assertThat(db.effects()).isEqualTo(2);
	}

	@Test
	void callReturnsTheHandlersResultOrADuplicate() {
		String id = UUID.randomUUID().toString();
		IdempotentConsumer.Outcome<String> first = this.consumer.call("billing", id, () -> "charged");
		IdempotentConsumer.Outcome<String> second = this.consumer.call("billing", id, () -> "charged again");
		assertThat(first).isEqualTo(new IdempotentConsumer.Outcome<>(false, "charged"));
		assertThat(second).isEqualTo(new IdempotentConsumer.Outcome<>(true, null));
	}

	@Test
	void handlerFailureRecordsNothingAndRedeliveryProcessesAgain() {
		String id = UUID.randomUUID().toString();
		assertThatExceptionOfType(IllegalStateException.class)
			.isThrownBy(() -> this.consumer.process("billing", id, () -> {
				db.recordEffect(id);
				throw new IllegalStateException("payment service down");
			}))
			.withMessage("payment service down");
		assertThat(db.processed("billing")).isZero();
		assertThat(db.effects()).isZero();
		assertThat(this.consumer.process("billing", id, () -> db.recordEffect(id))).isTrue();
		assertThat(db.processed("billing")).isEqualTo(1);
		assertThat(db.effects()).isEqualTo(1);
	}

	@Test
	void checkedHandlerExceptionRollsBackAndIsRethrownUnchanged() {
		String id = UUID.randomUUID().toString();
		IOException failure = new IOException("disk full");
		assertThatExceptionOfType(IOException.class).isThrownBy(() -> this.consumer.invoke("billing", id, () -> {
			db.recordEffect(id);
			throw failure;
		})).isSameAs(failure);
		assertThat(db.processed("billing")).isZero();
		assertThat(db.effects()).isZero();
	}

	@Test
	void joinsTheCallersTransactionAndRollsBackWithIt() {
		String id = UUID.randomUUID().toString();
		TransactionTemplate outer = new TransactionTemplate(db.transactionManager);
		outer.executeWithoutResult((status) -> {
			assertThat(this.consumer.process("billing", id, () -> db.recordEffect(id))).isTrue();
			assertThat(this.consumer.process("billing", id, () -> db.recordEffect(id))).isFalse();
			status.setRollbackOnly();
		});
		assertThat(db.processed("billing")).isZero();
		assertThat(db.effects()).isZero();
	}

	@Test
	void concurrentDuplicateWaitsForTheFirstAndIsSkipped() throws Exception {
		String id = UUID.randomUUID().toString();
		CountDownLatch firstInHandler = new CountDownLatch(1);
		CountDownLatch releaseFirst = new CountDownLatch(1);
		Future<Boolean> first = this.executor.submit(() -> this.consumer.process("billing", id, () -> {
			db.recordEffect(id);
			firstInHandler.countDown();
			awaitLatch(releaseFirst);
		}));
		assertThat(firstInHandler.await(10, TimeUnit.SECONDS)).isTrue();
		AtomicInteger secondRuns = new AtomicInteger();
		Future<Boolean> second = this.executor.submit(() -> this.consumer.process("billing", id, () -> {
			secondRuns.incrementAndGet();
			db.recordEffect(id);
		}));
		awaitBlockedOnLock();
		assertThat(second).isNotDone();
		releaseFirst.countDown();
		assertThat(first.get(10, TimeUnit.SECONDS)).isTrue();
		assertThat(second.get(10, TimeUnit.SECONDS)).isFalse();
		assertThat(secondRuns).hasValue(0);
		assertThat(db.effects()).isEqualTo(1);
		assertThat(db.processed("billing")).isEqualTo(1);
	}

	@Test
	void concurrentDuplicateProceedsWhenTheFirstRollsBack() throws Exception {
		String id = UUID.randomUUID().toString();
		CountDownLatch firstInHandler = new CountDownLatch(1);
		CountDownLatch releaseFirst = new CountDownLatch(1);
		Future<Boolean> first = this.executor.submit(() -> this.consumer.process("billing", id, () -> {
			db.recordEffect(id);
			firstInHandler.countDown();
			awaitLatch(releaseFirst);
			throw new IllegalStateException("first fails");
		}));
		assertThat(firstInHandler.await(10, TimeUnit.SECONDS)).isTrue();
		Future<Boolean> second = this.executor
			.submit(() -> this.consumer.process("billing", id, () -> db.recordEffect(id)));
		awaitBlockedOnLock();
		releaseFirst.countDown();
		assertThatExceptionOfType(Exception.class).isThrownBy(() -> first.get(10, TimeUnit.SECONDS))
			.withRootCauseInstanceOf(IllegalStateException.class);
		assertThat(second.get(10, TimeUnit.SECONDS)).isTrue();
		assertThat(db.effects()).isEqualTo(1);
		assertThat(db.processed("billing")).isEqualTo(1);
	}

	@Test
	void manyConcurrentCopiesProduceExactlyOneEffect() throws Exception {
		for (int round = 0; round < 10; round++) {
			String id = UUID.randomUUID().toString();
			CountDownLatch start = new CountDownLatch(1);
			List<Future<Boolean>> results = new ArrayList<>();
			for (int i = 0; i < 8; i++) {
				results.add(this.executor.submit(() -> {
					start.await();
					return this.consumer.process("billing", id, () -> db.recordEffect(id));
				}));
			}
			start.countDown();
			int ran = 0;
			for (Future<Boolean> result : results) {
				ran += result.get(10, TimeUnit.SECONDS) ? 1 : 0;
			}
			assertThat(ran).isEqualTo(1);
			assertThat(db.jdbc.queryForObject("select count(*) from effect where message_id = ?", Integer.class, id))
				.isEqualTo(1);
		}
		assertThat(this.duplicates).hasSize(70);
	}

	@Test
	void batchPassesOnlyNewMessagesInOrderAndRecordsThemTogether() {
		String a = UUID.randomUUID().toString();
		String b = UUID.randomUUID().toString();
		String c = UUID.randomUUID().toString();
		this.consumer.process("billing", a, () -> db.recordEffect(a));
		List<List<String>> calls = new ArrayList<>();
		List<String> passed = this.consumer.processBatch("billing", List.of(b, a, c, b), (id) -> id, (fresh) -> {
			calls.add(List.copyOf(fresh));
			fresh.forEach(db::recordEffect);
		});
		assertThat(passed).containsExactly(b, c);
		assertThat(calls).containsExactly(List.of(b, c));
		assertThat(db.effects()).isEqualTo(3);
		assertThat(db.processed("billing")).isEqualTo(3);
		assertThat(this.duplicates).containsExactly("billing/" + a, "billing/" + b);
		// the same batch again: every message is a duplicate and the handler is not
		// called
		assertThat(this.consumer.processBatch("billing", List.of(b, a, c), (id) -> id, calls::add)).isEmpty();
		assertThat(calls).hasSize(1);
		assertThat(db.effects()).isEqualTo(3);
	}

	@Test
	void batchHandlerFailureRecordsNoIdOfTheBatch() {
		List<String> ids = List.of(UUID.randomUUID().toString(), UUID.randomUUID().toString());
		assertThatExceptionOfType(IllegalStateException.class)
			.isThrownBy(() -> this.consumer.processBatch("billing", ids, (id) -> id, (fresh) -> {
				fresh.forEach(db::recordEffect);
				throw new IllegalStateException("billing down");
			}));
		assertThat(db.processed("billing")).isZero();
		assertThat(db.effects()).isZero();
		assertThat(this.consumer.processBatch("billing", ids, (id) -> id, (fresh) -> fresh.forEach(db::recordEffect)))
			.isEqualTo(ids);
		assertThat(db.effects()).isEqualTo(2);
	}

	@Test
	void batchWithAMessageWithoutIdIsRejectedWholeOrPassesItOnPerPolicy() {
		List<String> batch = new ArrayList<>(List.of(UUID.randomUUID().toString(), ""));
		assertThatExceptionOfType(MissingMessageIdException.class)
			.isThrownBy(() -> this.consumer.processBatch("billing", batch, (id) -> id, (fresh) -> {
				throw new AssertionError("must not be called");
			}));
		assertThat(db.processed("billing")).isZero();
		IdempotentConsumer lenient = consumer(MissingMessageIdPolicy.PROCESS).build();
		assertThat(lenient.processBatch("billing", batch, (id) -> id, (fresh) -> {
		})).isEqualTo(batch);
		assertThat(lenient.processBatch("billing", batch, (id) -> id, (fresh) -> {
		})).containsExactly("");
		assertThat(db.processed("billing")).isEqualTo(1);
		assertThat(this.withoutId).hasValue(2);
	}

	@Test
	void concurrentBatchesSharingIdsInDifferentOrdersProduceEachEffectOnceWithoutDeadlock() throws Exception {
		for (int round = 0; round < 20; round++) {
			List<String> ids = new ArrayList<>();
			for (int i = 0; i < 200; i++) {
				ids.add(UUID.randomUUID().toString());
			}
			CountDownLatch start = new CountDownLatch(1);
			List<Future<List<String>>> results = new ArrayList<>();
			for (int i = 0; i < 4; i++) {
				List<String> batch = new ArrayList<>(ids);
				Collections.shuffle(batch, new Random(round * 10 + i));
				results.add(this.executor.submit(() -> {
					start.await();
					return this.consumer.processBatch("billing", batch, (id) -> id,
							(fresh) -> fresh.forEach(db::recordEffect));
				}));
			}
			start.countDown();
			List<String> passed = new ArrayList<>();
			for (Future<List<String>> result : results) {
				passed.addAll(result.get(30, TimeUnit.SECONDS));
			}
			assertThat(passed).containsExactlyInAnyOrderElementsOf(ids);
		}
		assertThat(db.effects()).isEqualTo(20 * 200);
		assertThat(db.processed("billing")).isEqualTo(20 * 200);
	}

	@Test
	void purgeRemovesOldIdsInBatchesAndKeepsRecentOnes() {
		IdempotentConsumer consumer = consumer(MissingMessageIdPolicy.REJECT).purgeBatchSize(2).build();
		this.clock.set(NOW.minus(Duration.ofDays(10)));
		for (int i = 0; i < 5; i++) {
			consumer.process("billing", "old-" + i, () -> {
			});
		}
		this.clock.set(NOW.minus(Duration.ofDays(6)));
		consumer.process("billing", "recent", () -> {
		});
		this.clock.set(NOW);
		assertThat(consumer.purge(Duration.ofDays(7))).isEqualTo(5);
		assertThat(db.jdbc.queryForList("select message_id from " + db.tables.qualifiedProcessedTable(), String.class))
			.containsExactly("recent");
		assertThat(consumer.purge(Duration.ofDays(7))).isZero();
	}

	@Test
	void purgedIdIsProcessedAgain() {
		this.consumer.process("billing", "m1", () -> db.recordEffect("m1"));
		this.clock.set(NOW.plus(Duration.ofDays(8)));
		this.consumer.purge(Duration.ofDays(7));
		assertThat(this.consumer.process("billing", "m1", () -> db.recordEffect("m1"))).isTrue();
		assertThat(db.effects()).isEqualTo(2);
	}

	@Test
	void missingIdIsRejectedByDefault() {
		AtomicInteger runs = new AtomicInteger();
		assertThatExceptionOfType(MissingMessageIdException.class)
			.isThrownBy(() -> this.consumer.process("billing", null, runs::incrementAndGet))
			.withMessageContaining("'billing'")
			.withMessageContaining("outbox.consumer.missing-message-id=process");
		assertThatExceptionOfType(MissingMessageIdException.class)
			.isThrownBy(() -> this.consumer.process("billing", "  ", runs::incrementAndGet));
		assertThat(runs).hasValue(0);
		assertThat(db.processed()).isZero();
	}

	@Test
	void missingIdIsProcessedWithoutDeduplicationWhenConfigured() {
		IdempotentConsumer consumer = consumer(MissingMessageIdPolicy.PROCESS).build();
		assertThat(consumer.process("billing", null, () -> db.recordEffect("none"))).isTrue();
		assertThat(consumer.process("billing", null, () -> db.recordEffect("none"))).isTrue();
		assertThat(db.effects()).isEqualTo(2);
		assertThat(db.processed()).isZero();
		assertThat(this.withoutId).hasValue(2);
	}

	@Test
	void invalidConsumerNameIsRejected() {
		assertThatIllegalArgumentException().isThrownBy(() -> this.consumer.process(" ", "m1", () -> {
		})).withMessageContaining("consumer must not be null or blank");
		assertThatIllegalArgumentException().isThrownBy(() -> this.consumer.process("x".repeat(256), "m1", () -> {
		})).withMessageContaining("consumer must be at most 255 characters");
	}

	private void awaitBlockedOnLock() {
		if (!db.postgres()) {
			await().atMost(Duration.ofSeconds(10))
				.until(() -> db.jdbc.queryForObject("select count(*) from information_schema.innodb_trx t join "
						+ "information_schema.processlist p on p.id = t.trx_mysql_thread_id "
						+ "where t.trx_state = 'LOCK WAIT' and p.db = database()", Integer.class) > 0);
			return;
		}
		await().atMost(Duration.ofSeconds(10))
			.until(() -> db.jdbc.queryForObject(
					"select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()"
							+ " and query like 'insert into %" + db.tables.processedTable() + "%'",
					Integer.class) > 0);
	}

	private static void awaitLatch(CountDownLatch latch) {
		try {
			if (!latch.await(10, TimeUnit.SECONDS)) {
				throw new IllegalStateException("latch not released");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
