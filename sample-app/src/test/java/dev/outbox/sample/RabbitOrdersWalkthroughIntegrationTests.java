package dev.outbox.sample;

import java.util.UUID;

import javax.sql.DataSource;

import dev.outbox.test.TestPostgres;
import dev.outbox.test.TestRabbit;

import org.springframework.amqp.core.AmqpAdmin;
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
 * The walkthrough with the {@code rabbit} and {@code external} profiles: RabbitMQ as the
 * broker, and the test servers (a schema of its own on the test PostgreSQL, a queue of
 * its own on the shared RabbitMQ) instead of the embedded ones.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@ActiveProfiles({ "rabbit", "external" })
@DirtiesContext
class RabbitOrdersWalkthroughIntegrationTests extends OrdersWalkthrough {

	private static final TestPostgres.Database database = TestPostgres.newSchema();

	private static final String queue = "shipping.orders.test-" + UUID.randomUUID();

	@DynamicPropertySource
	static void servers(DynamicPropertyRegistry registry) {
		database.springProperties().forEach((name, value) -> registry.add(name, () -> value));
		TestRabbit.broker().springProperties().forEach((name, value) -> registry.add(name, () -> value));
		registry.add("sample.shipping.queue", () -> queue);
	}

	@TestConfiguration(proxyBeanMethods = false)
	static class CleanUp {

		/**
		 * Deletes the test's queue and schema when the context closes, after the
		 * listeners and the relay stopped.
		 */
		@Bean
		DisposableBean deleteTestQueueAndSchema(AmqpAdmin amqpAdmin, DataSource dataSource) {
			return () -> {
				amqpAdmin.deleteQueue(queue);
				database.drop(dataSource);
			};
		}

	}

}
