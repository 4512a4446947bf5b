/**
 * The write path: {@link dev.outbox.jdbc.JdbcOutbox} records events in the PostgreSQL
 * outbox table over the connection of the current Spring-managed transaction.
 */
@NullMarked
package dev.outbox.jdbc;

import org.jspecify.annotations.NullMarked;
