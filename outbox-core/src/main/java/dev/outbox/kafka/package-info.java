/**
 * Kafka transport: {@link dev.outbox.kafka.KafkaOutboxSender}.
 */
@NullMarked
package dev.outbox.kafka;

import org.jspecify.annotations.NullMarked;
