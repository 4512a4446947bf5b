package dev.outbox.fault;

import java.util.Collection;
import java.util.List;

import dev.outbox.consumer.IdempotentConsumer;
import dev.outbox.relay.RelayFixture;

import org.springframework.jdbc.datasource.DataSourceTransactionManager;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The consumer side of the fault tests: every delivered copy goes through a real
 * {@link IdempotentConsumer} whose work inserts an effect row in the same transaction,
 * then each committed event must have exactly one effect and every other copy must have
 * been skipped.
 */
final class ExactlyOnceEffects {

	private ExactlyOnceEffects() {
	}

	/**
	 * Consume the delivered copies and check the effects.
	 * @param fixture the database of the outbox (and of the effects)
	 * @param delivered the message ids of the copies, in delivery order
	 * @param committed the ids of the committed events
	 * @return how many copies were skipped as duplicates
	 */
	static int assertOnePerEvent(RelayFixture fixture, List<String> delivered, Collection<String> committed) {
		fixture.jdbc.execute("create table fault_effect (message_id varchar(255) not null)");
		IdempotentConsumer consumer = IdempotentConsumer
			.builder(fixture.dataSource, new DataSourceTransactionManager(fixture.dataSource))
			.tables(fixture.tables)
			.build();
		int skipped = 0;
		for (String id : delivered) {
			boolean ran = consumer.process("fault-consumer", id,
					() -> fixture.jdbc.update("insert into fault_effect (message_id) values (?)", id));
			skipped += ran ? 0 : 1;
		}
		assertThat(skipped).isEqualTo(delivered.size() - committed.size());
		List<String> effects = fixture.jdbc.queryForList("select message_id from fault_effect", String.class);
		assertThat(effects).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(committed);
		return skipped;
	}

}
