/**
 * Idempotent consumer: turns at-least-once delivery into exactly-once effects by
 * recording each processed message id in the same database transaction as the handler's
 * work. Use {@link dev.outbox.consumer.IdempotentConsumer} directly or annotate a
 * listener method with {@link dev.outbox.consumer.IdempotentListener}.
 */
@NullMarked
package dev.outbox.consumer;

import org.jspecify.annotations.NullMarked;
