package dev.outbox.test;

import java.util.LinkedHashMap;
import java.util.Map;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.jspecify.annotations.Nullable;
import org.testcontainers.rabbitmq.RabbitMQContainer;

/**
 * The RabbitMQ broker the integration tests run against.
 * <p>
 * Settings come from {@code OUTBOX_TEST_RABBIT_HOST}, {@code OUTBOX_TEST_RABBIT_PORT},
 * {@code OUTBOX_TEST_RABBIT_USER} and {@code OUTBOX_TEST_RABBIT_PASSWORD} (defaults:
 * {@code localhost:5672}, {@code guest}/{@code guest}). When that broker cannot be
 * reached and Docker is available, a Testcontainers RabbitMQ is started instead;
 * otherwise the test fails with a message saying how to start the broker.
 */
public final class TestRabbit {

	private static @Nullable Broker broker;

	private TestRabbit() {
	}

	/**
	 * Connection settings of the broker, started or located on first use.
	 * @return the broker's settings
	 */
	public static synchronized Broker broker() {
		TestPhase.requireServicesAllowed("RabbitMQ");
		if (broker == null) {
			broker = locate();
		}
		return broker;
	}

	private static Broker locate() {
		Broker local = new Broker(TestPostgres.env("OUTBOX_TEST_RABBIT_HOST", "localhost"),
				Integer.parseInt(TestPostgres.env("OUTBOX_TEST_RABBIT_PORT", "5672")),
				TestPostgres.env("OUTBOX_TEST_RABBIT_USER", "guest"),
				TestPostgres.env("OUTBOX_TEST_RABBIT_PASSWORD", "guest"));
		try (Connection ignored = local.connectionFactory().newConnection("outbox-test-probe")) {
			return local;
		}
		catch (Exception ex) {
			if (TestPostgres.dockerAvailable()) {
				RabbitMQContainer container = new RabbitMQContainer("rabbitmq:4-management-alpine");
				container.start();
				return new Broker(container.getHost(), container.getAmqpPort(), container.getAdminUsername(),
						container.getAdminPassword());
			}
			throw new IllegalStateException("""
					RabbitMQ is not reachable at %s:%d as user '%s' (%s).
					Start it, e.g. `bash .ci/run` does, or by hand: `rabbitmq-server -detached`
					(install it with `apt-get install -y rabbitmq-server` if missing),
					or point OUTBOX_TEST_RABBIT_HOST / _PORT / _USER / _PASSWORD at another broker.
					""".formatted(local.host(), local.port(), local.username(), ex), ex);
		}
	}

	/**
	 * Connection settings of a RabbitMQ broker.
	 *
	 * @param host the host
	 * @param port the AMQP port
	 * @param username the user name
	 * @param password the password
	 */
	public record Broker(String host, int port, String username, String password) {

		/**
		 * A plain AMQP client connection factory for this broker.
		 * @return a new connection factory
		 */
		public ConnectionFactory connectionFactory() {
			ConnectionFactory factory = new ConnectionFactory();
			factory.setHost(this.host);
			factory.setPort(this.port);
			factory.setUsername(this.username);
			factory.setPassword(this.password);
			factory.setConnectionTimeout(5000);
			return factory;
		}

		/**
		 * Spring Boot properties that point {@code spring.rabbitmq.*} at this broker.
		 * @return property name to value
		 */
		public Map<String, String> springProperties() {
			Map<String, String> properties = new LinkedHashMap<>();
			properties.put("spring.rabbitmq.host", this.host);
			properties.put("spring.rabbitmq.port", String.valueOf(this.port));
			properties.put("spring.rabbitmq.username", this.username);
			properties.put("spring.rabbitmq.password", this.password);
			return properties;
		}

		/**
		 * The same as {@link #springProperties()} as {@code name=value} strings.
		 * @return {@code name=value} pairs
		 */
		public String[] propertyValues() {
			return springProperties().entrySet()
				.stream()
				.map((e) -> e.getKey() + "=" + e.getValue())
				.toArray(String[]::new);
		}

	}

}
