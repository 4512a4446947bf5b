package dev.outbox.jdbc;

import java.util.HashSet;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * What one transaction that recorded events through one outbox holds: its key locks (or
 * the table's writers lock, exclusively). Registered with the transaction at its first
 * write; after the commit it hands over to the {@link CommitNotification}.
 */
final class OutboxTransaction implements TransactionSynchronization {

	private final Object outbox;

	private final CommitNotification notification;

	/** The key locks this transaction holds. */
	private final Set<Integer> lockedKeys = new HashSet<>();

	/** Whether this transaction holds the table's writers lock exclusively. */
	private boolean exclusive;

	private OutboxTransaction(Object outbox, CommitNotification notification) {
		this.outbox = outbox;
		this.notification = notification;
	}

	/**
	 * The state of the current transaction for {@code outbox}, or {@code null} before its
	 * first write.
	 */
	static @Nullable OutboxTransaction current(Object outbox) {
		for (TransactionSynchronization synchronization : TransactionSynchronizationManager.getSynchronizations()) {
			if (synchronization instanceof OutboxTransaction transaction && transaction.outbox == outbox) {
				return transaction;
			}
		}
		return null;
	}

	/**
	 * A new state for the current transaction's first write; {@link #register()} it once
	 * that write succeeded.
	 */
	static OutboxTransaction start(Object outbox, CommitNotification notification) {
		return new OutboxTransaction(outbox, notification);
	}

	void register() {
		TransactionSynchronizationManager.registerSynchronization(this);
	}

	boolean exclusive() {
		return this.exclusive;
	}

	boolean holds(int lockKey) {
		return this.lockedKeys.contains(lockKey);
	}

	/** Remember the locks a successful write took. */
	void took(KeyLockPlan plan) {
		if (plan.exclusive()) {
			this.exclusive = true;
			this.lockedKeys.clear();
		}
		else {
			this.lockedKeys.addAll(plan.newLocks());
		}
	}

	@Override
	public void afterCommit() {
		this.notification.afterCommit();
	}

}
