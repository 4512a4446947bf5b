/**
 * Auto-configuration of the outbox admin API used by metrics, health and the actuator
 * endpoint.
 */
@NullMarked
package dev.outbox.autoconfigure.admin;

import org.jspecify.annotations.NullMarked;
