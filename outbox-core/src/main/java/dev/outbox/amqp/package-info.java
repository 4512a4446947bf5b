/**
 * RabbitMQ transport: {@link dev.outbox.amqp.RabbitOutboxSender}.
 */
@NullMarked
package dev.outbox.amqp;

import org.jspecify.annotations.NullMarked;
