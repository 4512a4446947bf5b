/**
 * Auto-configuration of the outbox's Kafka sender.
 */
@NullMarked
package dev.outbox.autoconfigure.kafka;

import org.jspecify.annotations.NullMarked;
