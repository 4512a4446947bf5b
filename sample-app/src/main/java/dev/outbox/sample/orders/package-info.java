/**
 * Orders: placing an order saves it and records an
 * {@link dev.outbox.sample.orders.OrderPlaced} event through the outbox, in one
 * transaction.
 */
@NullMarked
package dev.outbox.sample.orders;

import org.jspecify.annotations.NullMarked;
