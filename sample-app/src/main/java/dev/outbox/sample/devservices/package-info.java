/**
 * Services the sample starts inside its own JVM so that it runs with no setup: an
 * embedded PostgreSQL and an in-process Kafka broker. A real application has none of
 * this; it points {@code spring.datasource.*} and {@code spring.kafka.*} at its servers.
 */
@NullMarked
package dev.outbox.sample.devservices;

import org.jspecify.annotations.NullMarked;
