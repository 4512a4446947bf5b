/**
 * Shipping, the consumer of {@code OrderPlaced} events: it creates one shipment per
 * order, and its idempotent listener skips a message it has already processed.
 */
@NullMarked
package dev.outbox.sample.shipping;

import org.jspecify.annotations.NullMarked;
