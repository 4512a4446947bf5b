/**
 * Real-service test harness: PostgreSQL and RabbitMQ on localhost (overridable through
 * environment variables, with Testcontainers as the fallback where Docker runs) and an
 * in-process Kafka broker (KRaft).
 */
@NullMarked
package dev.outbox.test;

import org.jspecify.annotations.NullMarked;
