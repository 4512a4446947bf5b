/**
 * Auto-configuration of the outbox relay and its {@code outbox.relay.*} properties.
 */
@NullMarked
package dev.outbox.autoconfigure.relay;

import org.jspecify.annotations.NullMarked;
