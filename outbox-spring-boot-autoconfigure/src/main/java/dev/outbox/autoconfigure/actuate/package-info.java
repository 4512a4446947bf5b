/**
 * Actuator support for the outbox: the {@code outbox} health indicator and the
 * {@code outbox} endpoint to list, replay and discard parked and failing events.
 */
@NullMarked
package dev.outbox.autoconfigure.actuate;

import org.jspecify.annotations.NullMarked;
