/**
 * Fault-injection tests: relays killed in separate JVMs against real PostgreSQL and
 * Kafka.
 */
@NullMarked
package dev.outbox.fault;

import org.jspecify.annotations.NullMarked;
