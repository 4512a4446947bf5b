/**
 * Benchmarks of the outbox against a real PostgreSQL, run by hand with
 * {@code java -jar outbox-benchmarks/target/outbox-benchmarks.jar <benchmark>}.
 */
@NullMarked
package dev.outbox.benchmarks;

import org.jspecify.annotations.NullMarked;
