/**
 * JSON payload serialization with Jackson 3, the default
 * {@link dev.outbox.spi.PayloadSerializer}.
 */
@NullMarked
package dev.outbox.json;

import org.jspecify.annotations.NullMarked;
