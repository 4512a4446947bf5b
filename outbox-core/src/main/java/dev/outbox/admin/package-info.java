/**
 * Inspection and repair of the outbox table for operators: counts, the age of the oldest
 * waiting event, parked and failing events, replay and discard.
 */
@NullMarked
package dev.outbox.admin;

import org.jspecify.annotations.NullMarked;
