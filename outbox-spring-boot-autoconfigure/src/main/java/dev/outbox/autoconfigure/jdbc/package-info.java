/**
 * Auto-configuration of the outbox write path: {@code outbox.*} properties, the outbox
 * tables (created with Flyway), the payload serializer and the
 * {@link dev.outbox.jdbc.JdbcOutbox}.
 */
@NullMarked
package dev.outbox.autoconfigure.jdbc;

import org.jspecify.annotations.NullMarked;
