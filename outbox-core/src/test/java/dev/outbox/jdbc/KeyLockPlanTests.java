package dev.outbox.jdbc;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import dev.outbox.OutboxDatabase;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxTables;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lock plan of a write on each database, without a database.
 */
class KeyLockPlanTests {

	private final CommitNotification notification = new CommitNotification(new SimpleDriverDataSource(), List.of(),
			null);

	private final EventStatements postgres = EventStatements.of(OutboxDatabase.POSTGRESQL, OutboxTables.defaults(),
			"application/json");

	private final EventStatements mariadb = EventStatements.of(OutboxDatabase.MARIADB, OutboxTables.defaults(),
			"application/json");

	@Test
	void locksEachNewKeyOnceInAscendingOrder() {
		List<EventRow> rows = rows("b", "a", "b", "c");
		OutboxTransaction transaction = OutboxTransaction.start(this, this.notification);
		KeyLockPlan plan = KeyLockPlan.of(rows, transaction, true, this.mariadb);
		assertThat(plan.exclusive()).isFalse();
		assertThat(List.copyOf(plan.newLocks())).hasSize(3).isSorted();
		transaction.took(plan);
		assertThat(KeyLockPlan.of(rows("a", "d"), transaction, false, this.mariadb).newLocks())
			.containsExactly(this.mariadb.lockKey("d"));
	}

	@Test
	void postgresqlLocksOutTheOtherWritersPastItsKeyLockLimitInAFirstWriteOnly() {
		List<EventRow> many = rows(IntStream.range(0, 33).mapToObj((i) -> "k" + i).toArray(String[]::new));
		OutboxTransaction first = OutboxTransaction.start(this, this.notification);
		KeyLockPlan plan = KeyLockPlan.of(many, first, true, this.postgres);
		assertThat(plan.exclusive()).isTrue();
		assertThat(plan.newLocks()).isEmpty();
		OutboxTransaction later = OutboxTransaction.start(this, this.notification);
		assertThat(KeyLockPlan.of(many, later, false, this.postgres).exclusive()).isFalse();
	}

	@Test
	void mariadbNeverLocksOutTheOtherWritersAndMapsKeysToTheMigrationsSlots() {
		List<EventRow> many = rows(IntStream.range(0, 5000).mapToObj((i) -> "k" + i).toArray(String[]::new));
		KeyLockPlan plan = KeyLockPlan.of(many, OutboxTransaction.start(this, this.notification), true, this.mariadb);
		assertThat(plan.exclusive()).isFalse();
		assertThat(plan.newLocks()).allSatisfy((slot) -> assertThat(slot).isBetween(0, MySqlEventStatements.SLOTS - 1));
		assertThat(this.mariadb.lockKey("k")).isEqualTo(Math.floorMod("k".hashCode(), 65_536));
	}

	private static List<EventRow> rows(String... keys) {
		return Arrays.stream(keys)
			.map((key) -> new EventRow(UUID.randomUUID(), OutboxEvent.of("orders", key, "p"), 0, new byte[0], "{}",
					Instant.EPOCH))
			.toList();
	}

}
