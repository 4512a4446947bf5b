package dev.outbox.autoconfigure.jdbc;

import org.jspecify.annotations.Nullable;

import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;

/**
 * What the outbox needs at run time beyond its beans, for an application built ahead of
 * time (Spring AOT, GraalVM native image): the Flyway migrations that create the outbox
 * tables, read from the classpath at start-up.
 */
class OutboxRuntimeHints implements RuntimeHintsRegistrar {

	/** Where the starter's migrations live, as a resource pattern. */
	static final String MIGRATIONS = "dev/outbox/db/migration/*.sql";

	@Override
	public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
		hints.resources().registerPattern(MIGRATIONS);
	}

}
