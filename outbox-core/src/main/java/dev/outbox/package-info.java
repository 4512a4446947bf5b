/**
 * The outbox API: record events with {@link dev.outbox.Outbox#publish(OutboxEvent)}
 * inside the business transaction; a relay delivers them to Kafka or RabbitMQ after the
 * commit.
 */
@NullMarked
package dev.outbox;

import org.jspecify.annotations.NullMarked;
