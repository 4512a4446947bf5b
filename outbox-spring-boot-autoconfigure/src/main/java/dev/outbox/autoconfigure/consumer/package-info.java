/**
 * Auto-configuration of the idempotent consumer ({@code outbox.consumer.*}).
 */
@NullMarked
package dev.outbox.autoconfigure.consumer;

import org.jspecify.annotations.NullMarked;
