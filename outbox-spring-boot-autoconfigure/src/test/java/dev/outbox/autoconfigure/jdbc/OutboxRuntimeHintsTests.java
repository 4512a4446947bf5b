package dev.outbox.autoconfigure.jdbc;

import java.io.IOException;

import org.junit.jupiter.api.Test;

import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.core.io.support.SpringFactoriesLoader;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hints an ahead-of-time build gets from the starter.
 */
class OutboxRuntimeHintsTests {

	@Test
	void everyShippedMigrationIsAResourceHint() throws IOException {
		RuntimeHints hints = new RuntimeHints();
		SpringFactoriesLoader.forResourceLocation("META-INF/spring/aot.factories")
			.load(RuntimeHintsRegistrar.class)
			.forEach((registrar) -> registrar.registerHints(hints, getClass().getClassLoader()));
		// every .sql file the starter ships, wherever it lies under dev/outbox/db
		Resource[] migrations = new PathMatchingResourcePatternResolver()
			.getResources("classpath*:dev/outbox/db/**/*.sql");
		assertThat(migrations).hasSizeGreaterThanOrEqualTo(2);
		for (Resource migration : migrations) {
			String url = migration.getURL().toString();
			String path = url.substring(url.lastIndexOf("dev/outbox/db/"));
			assertThat(RuntimeHintsPredicates.resource().forResource(path).test(hints)).as(path).isTrue();
		}
	}

}
