/**
 * Spring Boot auto-configuration of the outbox; one sub-package per concern.
 */
@NullMarked
package dev.outbox.autoconfigure;

import org.jspecify.annotations.NullMarked;
