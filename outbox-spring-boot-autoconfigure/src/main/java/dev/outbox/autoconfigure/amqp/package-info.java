/**
 * Auto-configuration of the outbox's RabbitMQ sender.
 */
@NullMarked
package dev.outbox.autoconfigure.amqp;

import org.jspecify.annotations.NullMarked;
