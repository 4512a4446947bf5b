/**
 * Service provider interfaces: payload serialization and message transports.
 */
@NullMarked
package dev.outbox.spi;

import org.jspecify.annotations.NullMarked;
