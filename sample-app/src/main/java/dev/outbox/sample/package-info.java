/**
 * An orders service that records {@code OrderPlaced} events through the outbox.
 */
@NullMarked
package dev.outbox.sample;

import org.jspecify.annotations.NullMarked;
