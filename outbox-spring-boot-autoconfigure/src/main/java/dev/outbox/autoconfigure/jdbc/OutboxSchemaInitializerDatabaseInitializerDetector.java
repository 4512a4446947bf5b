package dev.outbox.autoconfigure.jdbc;

import java.util.Set;

import org.springframework.boot.sql.init.dependency.AbstractBeansOfTypeDatabaseInitializerDetector;

/**
 * Marks {@link OutboxSchemaInitializer} as a database initializer, so beans that use the
 * database (JdbcTemplate, JPA, ...) wait for it, and it runs after the application's
 * Flyway migrations (whose detector has order 1): those must find an empty schema on a
 * fresh database.
 */
final class OutboxSchemaInitializerDatabaseInitializerDetector extends AbstractBeansOfTypeDatabaseInitializerDetector {

	@Override
	protected Set<Class<?>> getDatabaseInitializerBeanTypes() {
		return Set.of(OutboxSchemaInitializer.class);
	}

	@Override
	public int getOrder() {
		return 10;
	}

}
