package dev.outbox.sample;

import javax.sql.DataSource;

import dev.outbox.test.TestMariaDb;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The walkthrough with the {@code mariadb} profile: the orders, the shipments and the
 * outbox tables on a real MariaDB server (a database of its own on the test server
 * instead of the profile's {@code outbox_sample}), Kafka in-process as by default.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@ActiveProfiles("mariadb")
@DirtiesContext
class MariaDbOrdersWalkthroughIntegrationTests extends OrdersWalkthrough {

	private static final TestMariaDb.Database database = TestMariaDb.newDatabase();

	@DynamicPropertySource
	static void servers(DynamicPropertyRegistry registry) {
		database.springProperties().forEach((name, value) -> registry.add(name, () -> value));
	}

	@TestConfiguration(proxyBeanMethods = false)
	static class CleanUp {

		/**
		 * Drops the test's database when the context closes, after the listeners and the
		 * relay stopped.
		 */
		@Bean
		DisposableBean dropTestDatabase(DataSource dataSource) {
			return () -> database.drop(dataSource);
		}

	}

}
