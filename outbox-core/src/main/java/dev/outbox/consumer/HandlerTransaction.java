package dev.outbox.consumer;

import java.util.Objects;

import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Runs a handler that may throw anything in a transaction (the caller's if one is active,
 * a new one otherwise): any exception, checked ones included, rolls it back and reaches
 * the caller unchanged. A {@link TransactionTemplate} callback cannot throw a checked
 * exception, so such an exception is tunnelled through it in a private wrapper.
 */
final class HandlerTransaction {

	private final TransactionTemplate transaction;

	HandlerTransaction(PlatformTransactionManager transactionManager) {
		this.transaction = new TransactionTemplate(transactionManager);
		this.transaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRED);
	}

	<R> R execute(IdempotentConsumer.Handler<R> work) throws Throwable {
		try {
			R outcome = this.transaction.execute((status) -> {
				try {
					return work.handle();
				}
				catch (RuntimeException | Error ex) {
					throw ex;
				}
				catch (Throwable ex) {
					// roll back on checked exceptions too, then rethrow the original
					throw new CheckedFailure(ex);
				}
			});
			return Objects.requireNonNull(outcome);
		}
		catch (CheckedFailure ex) {
			throw ex.getCause();
		}
	}

	private static final class CheckedFailure extends RuntimeException {

		CheckedFailure(Throwable cause) {
			super(cause);
		}

		@Override
		public synchronized Throwable getCause() {
			return Objects.requireNonNull(super.getCause());
		}

	}

}
