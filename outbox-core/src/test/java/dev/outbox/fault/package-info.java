/**
 * Fault-injection tests against real PostgreSQL, Kafka and RabbitMQ: relays killed in
 * separate JVMs, events parked, brokers taken away and brought back.
 */
@NullMarked
package dev.outbox.fault;

import org.jspecify.annotations.NullMarked;
