/**
 * The relay: a polling publisher that delivers committed outbox rows to the broker,
 * sharing the work among instances by partition leases.
 * {@link dev.outbox.relay.OutboxRelay} is the entry point.
 */
@NullMarked
package dev.outbox.relay;

import org.jspecify.annotations.NullMarked;
