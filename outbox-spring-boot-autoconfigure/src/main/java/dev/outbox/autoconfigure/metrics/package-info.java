/**
 * Auto-configuration of the outbox's Micrometer metrics.
 */
@NullMarked
package dev.outbox.autoconfigure.metrics;

import org.jspecify.annotations.NullMarked;
