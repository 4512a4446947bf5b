/**
 * Support for an application's own tests of code that publishes outbox events: wait until
 * the outbox is drained, run the relay on the test's thread, and record what the relay
 * sends, with or without a broker.
 */
@NullMarked
package dev.outbox.testing;

import org.jspecify.annotations.NullMarked;
