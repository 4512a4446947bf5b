package dev.outbox.autoconfigure.jdbc;

import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;

/**
 * What the outbox needs at run time beyond its beans, for an application built ahead of
 * time (Spring AOT, GraalVM native image): the Flyway migrations that create the outbox
 * tables, read from the classpath at start-up.
 */
class OutboxRuntimeHints implements RuntimeHintsRegistrar {

	/**
	 * Where the starter's migrations live (event tables, processed-message table), for
	 * PostgreSQL and for MariaDB/MySQL.
	 */
	static final List<String> MIGRATIONS = List.of("dev/outbox/db/event/*.sql", "dev/outbox/db/processed/*.sql",
			"dev/outbox/db/mysql/event/*.sql", "dev/outbox/db/mysql/processed/*.sql");

	@Override
	public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
		MIGRATIONS.forEach(hints.resources()::registerPattern);
	}

}
