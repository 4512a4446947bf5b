package dev.outbox.relay;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

import javax.sql.DataSource;

import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * How the relay's MariaDB/MySQL statements ({@link MySqlRelayStore},
 * {@link MySqlLeaseStatements}) run: each call in a short transaction of its own, at
 * {@code read committed}, so a locking read takes no gap locks that would hold back the
 * writers' inserts.
 */
final class MySqlTransactions {

	private final TransactionTemplate transactions;

	MySqlTransactions(DataSource dataSource) {
		this.transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
		this.transactions.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
		this.transactions.setIsolationLevel(TransactionDefinition.ISOLATION_READ_COMMITTED);
	}

	/**
	 * Run statements in a new transaction.
	 * @param statements the statements
	 * @return what they return
	 */
	<T> T run(Supplier<T> statements) {
		List<T> result = new ArrayList<>(1);
		this.transactions.executeWithoutResult((status) -> result.add(statements.get()));
		return result.get(0);
	}

	/**
	 * The placeholders of an {@code in} list.
	 * @param count how many
	 * @return {@code ?, ?, ...}
	 */
	static String placeholders(int count) {
		return String.join(", ", Collections.nCopies(count, "?"));
	}

}
