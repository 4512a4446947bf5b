package dev.outbox.consumer;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes a message listener method (for example a {@code @KafkaListener} or
 * {@code @RabbitListener} method) idempotent: the message id is recorded for the named
 * consumer in the same database transaction as the method's work, and a message whose id
 * was already recorded is skipped without calling the method.
 * <p>
 * The method must take a parameter that carries the message id: a Kafka
 * {@code ConsumerRecord}, a Spring AMQP {@code Message}, a Spring messaging
 * {@code Message}, a {@code @Header(OutboxHeaders.MESSAGE_ID) String} parameter, or one a
 * custom {@link MessageIdExtractor} supports. A skipped duplicate returns {@code null}.
 * <p>
 * A batch listener takes a {@code List} of one of these message types instead (for
 * example {@code @KafkaListener(batch = "true")} with
 * {@code List<ConsumerRecord<K, V>>}): the ids of the whole batch are recorded in one
 * statement, and the method is called once with only the messages not processed before
 * (in their order, each id once), or not at all if every message is a duplicate (see
 * {@link IdempotentConsumer#processBatch}). The method runs in a transaction: the
 * caller's if one is active on the database, a new one otherwise; any exception rolls it
 * back, so nothing is recorded and a redelivery processes the message again.
 *
 * @see IdempotentConsumer
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface IdempotentListener {

	/**
	 * The consumer name under which message ids are recorded. Consumers with different
	 * names process the same message independently. Keep it stable: renaming it makes
	 * already processed messages look new.
	 * @return the consumer name
	 */
	String value();

}
