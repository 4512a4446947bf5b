/**
 * Auto-configuration carrying the trace context of the publishing transaction in the
 * outbox events' headers.
 */
@NullMarked
package dev.outbox.autoconfigure.tracing;

import org.jspecify.annotations.NullMarked;
