package dev.outbox.jdbc;

import java.util.List;
import java.util.TreeSet;

/**
 * Which key locks a write takes before inserting its rows, from what its transaction
 * already holds ({@link OutboxTransaction}) and the rules of the database
 * ({@link EventStatements#lockKey(String)},
 * {@link EventStatements#maxKeyLocksPerTransaction()}): the transaction's locks are taken
 * in ascending order, once each; a transaction whose first write has more distinct keys
 * than the database's limit locks out the other writers instead of locking each key
 * (PostgreSQL only).
 *
 * @param newLocks the key locks to take now, ascending (empty when exclusive)
 * @param exclusive whether the write takes, or its transaction holds, the table's writers
 * lock exclusively
 */
record KeyLockPlan(TreeSet<Integer> newLocks, boolean exclusive) {

	static KeyLockPlan of(List<EventRow> rows, OutboxTransaction transaction, boolean first,
			EventStatements statements) {
		TreeSet<Integer> newLocks = new TreeSet<>();
		if (!transaction.exclusive()) {
			for (EventRow row : rows) {
				int lockKey = statements.lockKey(row.event().key());
				if (!transaction.holds(lockKey)) {
					newLocks.add(lockKey);
				}
			}
		}
		// Only a transaction's first write may take the writers lock exclusively: one
		// that already holds it shared would have to upgrade, and two upgrading at once
		// deadlock.
		boolean exclusive = transaction.exclusive()
				|| (first && newLocks.size() > statements.maxKeyLocksPerTransaction());
		return new KeyLockPlan(exclusive ? new TreeSet<>() : newLocks, exclusive);
	}

}
