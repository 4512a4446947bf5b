package dev.outbox;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import javax.sql.DataSource;

import dev.outbox.consumer.IdempotentConsumer;
import dev.outbox.jdbc.JdbcOutbox;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Every null or blank argument of the public API fails at once with an
 * {@link IllegalArgumentException} naming it. No database is touched: the checks come
 * first.
 */
class ApiArgumentsTests {

	private final DataSource dataSource = new SimpleDriverDataSource();

	@Test
	void eventFactoryAndBuilderRejectNullAndBlankArguments() {
		assertRejected("aggregateId must not be null", () -> OutboxEvent.of("orders", nullValue(), "payload"));
		assertRejected("aggregateId must not be null or blank", () -> OutboxEvent.of("orders", "", "payload"));
		assertRejected("aggregateId must not be null or blank", () -> OutboxEvent.of("orders", " ", "payload"));
		assertRejected("payload must not be null", () -> OutboxEvent.of("orders", 1, nullValue()));
		assertRejected("destination must not be null or blank", () -> OutboxEvent.of(nullValue(), 1, "payload"));
		assertRejected("destination must not be null or blank", () -> OutboxEvent.builder(" "));
		OutboxEvent.Builder builder = OutboxEvent.builder("orders");
		assertRejected("aggregateType must not be null or blank", () -> builder.aggregate(nullValue(), 1));
		assertRejected("aggregateType must not be null or blank", () -> builder.aggregate("", 1));
		assertRejected("aggregateId must not be null", () -> builder.aggregate("order", nullValue()));
		assertRejected("eventType must not be null or blank", () -> builder.eventType(nullValue()));
		assertRejected("eventType must not be null or blank", () -> builder.eventType(""));
		assertRejected("key must not be null or blank", () -> builder.key(nullValue()));
		assertRejected("key must not be null or blank", () -> builder.key("\t"));
		assertRejected("routingKey must not be null", () -> builder.routingKey(nullValue()));
		assertRejected("payload must not be null", () -> builder.payload(nullValue()));
		assertRejected("header name must not be null or blank", () -> builder.header(nullValue(), "v"));
		assertRejected("header name must not be null or blank", () -> builder.header(" ", "v"));
		assertRejected("value of header 'tenant' must not be null", () -> builder.header("tenant", nullValue()));
		assertRejected("availableAt must not be null", () -> builder.availableAt(nullValue()));
		assertRejected("payloadType must not be null", () -> OutboxEvent.eventTypeOf(nullValue()));
	}

	@Test
	void eventConstructorRejectsNullAndBlankArguments() {
		Map<String, String> nullValue = new HashMap<>();
		nullValue.put("tenant", null);
		assertRejected("key must not be null or blank",
				() -> new OutboxEvent("orders", null, "order", "1", "placed", nullValue(), "p", Map.of(), null));
		assertRejected("headers must not be null",
				() -> new OutboxEvent("orders", null, "order", "1", "placed", "1", "p", nullValue(), null));
		assertRejected("value of header 'tenant' must not be null",
				() -> new OutboxEvent("orders", null, "order", "1", "placed", "1", "p", nullValue, null));
		assertRejected("payload must not be null",
				() -> new OutboxEvent("orders", null, "order", "1", "placed", "1", nullValue(), Map.of(), null));
	}

	@Test
	void publishRejectsNullEventsBeforeLookingForATransaction() {
		JdbcOutbox outbox = JdbcOutbox.builder(this.dataSource).build();
		assertRejected("event must not be null", () -> outbox.publish(nullValue()));
		assertRejected("events must not be null", () -> outbox.publishAll(nullValue()));
		assertRejected("events must not contain null",
				() -> outbox.publishAll(Arrays.asList(OutboxEvent.of("orders", 1, "p"), null)));
		assertRejected("dataSource must not be null", () -> JdbcOutbox.builder(nullValue()));
		assertRejected("tables must not be null", () -> JdbcOutbox.builder(this.dataSource).tables(nullValue()));
	}

	@Test
	void idempotentConsumerRejectsNullAndBlankArguments() {
		IdempotentConsumer consumer = IdempotentConsumer
			.builder(this.dataSource, new DataSourceTransactionManager(this.dataSource))
			.build();
		Runnable handler = () -> {
		};
		assertRejected("consumer must not be null or blank", () -> consumer.process(nullValue(), "id", handler));
		assertRejected("consumer must not be null or blank", () -> consumer.process(" ", "id", handler));
		assertRejected("handler must not be null", () -> consumer.process("billing", "id", nullValue()));
		assertRejected("consumer must not be null or blank", () -> consumer.call(nullValue(), "id", () -> 1));
		assertRejected("handler must not be null", () -> consumer.call("billing", "id", nullValue()));
		Function<String, String> id = (message) -> message;
		assertRejected("consumer must not be null or blank",
				() -> consumer.processBatch("", List.of("a"), id, (fresh) -> {
				}));
		assertRejected("messages must not be null", () -> consumer.processBatch("billing", nullValue(), id, (fresh) -> {
		}));
		assertRejected("messageId must not be null",
				() -> consumer.processBatch("billing", List.of("a"), nullValue(), (fresh) -> {
				}));
		assertRejected("handler must not be null",
				() -> consumer.processBatch("billing", List.of("a"), id, nullValue()));
		assertRejected("consumer must not be null or blank", () -> consumer.isProcessed(nullValue(), "id"));
		assertRejected("messageId must not be null or blank", () -> consumer.isProcessed("billing", nullValue()));
		assertRejected("retention must not be null", () -> consumer.purge(nullValue()));
		assertRejected("consumer must be at most 255 characters",
				() -> consumer.process("c".repeat(256), "id", handler));
		assertRejected("dataSource must not be null",
				() -> IdempotentConsumer.builder(nullValue(), new DataSourceTransactionManager(this.dataSource)));
		assertRejected("clock must not be null",
				() -> IdempotentConsumer.builder(this.dataSource, new DataSourceTransactionManager(this.dataSource))
					.clock(nullValue()));
		assertRejected("retention must not be negative", () -> consumer.purge(Duration.ofSeconds(-1)));
	}

	private static void assertRejected(String message, Executable call) {
		assertThatIllegalArgumentException().isThrownBy(call::execute).withMessageContaining(message);
	}

	/**
	 * A null the compiler lets through, as a caller without nullness checks passes it.
	 */
	@SuppressWarnings("unchecked")
	private static <T> T nullValue() {
		return (T) null;
	}

}
