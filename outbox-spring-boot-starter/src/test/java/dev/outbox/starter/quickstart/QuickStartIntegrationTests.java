package dev.outbox.starter.quickstart;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;
import dev.outbox.test.TestPostgres;
import dev.outbox.test.TestRabbit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.AnonymousQueue;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.TopicExchange;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The README's quick start, run as written in a user's application (the classes of this
 * package; the README must show them verbatim), against the real PostgreSQL and RabbitMQ,
 * and what a user of it sees over HTTP with the starter's defaults: the aggregate
 * {@code /actuator/health} turns {@code DEGRADED} with a parked event, the {@code outbox}
 * endpoint answers 400 to an id that is not a UUID and refuses writes until they are
 * granted.
 */
class QuickStartIntegrationTests {

	private static final ParameterizedTypeReference<Map<String, Object>> OBJECT = new ParameterizedTypeReference<>() {
	};

	private static final Path SOURCES = Path.of("src/test/java/dev/outbox/starter/quickstart");

	private static TestPostgres.Database database;

	private static ConfigurableApplicationContext context;

	private static RestClient http;

	@BeforeAll
	static void startTheApplication() {
		database = TestPostgres.newSchema();
		try (HikariDataSource dataSource = database.dataSource()) {
			// the application's own table, as its own migration would create it
			new JdbcTemplate(dataSource).execute("create table " + database.schema()
					+ ".orders (id bigint generated always as identity primary key, customer text not null, total numeric(12, 2) not null)");
		}
		context = new SpringApplicationBuilder(QuickStartApplication.class).properties(database.propertyValues())
			.properties(TestRabbit.broker().propertyValues())
			.properties("server.port=0", "spring.main.banner-mode=off",
					"management.endpoints.web.exposure.include=health, outbox",
					// without it /actuator/health/outbox answers 404; the aggregate is
					// the same
					"management.endpoint.health.show-components=always", "outbox.relay.max-attempts=1",
					"outbox.relay.poll-interval=200ms")
			.run();
		http = RestClient.create("http://localhost:" + context.getEnvironment().getProperty("local.server.port"));
	}

	@AfterAll
	static void stopTheApplication() {
		if (context != null) {
			context.close();
		}
		try (HikariDataSource dataSource = database.dataSource()) {
			database.drop(dataSource);
		}
	}

	@Test
	void readmeShowsTheQuickStartClassesVerbatim() throws IOException {
		String readme = Files.readString(Path.of("../README.md"), StandardCharsets.UTF_8);
		Matcher block = Pattern.compile("## Quick start.*?```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
		assertThat(block.find()).as("a java block in the README's Quick start").isTrue();
		String shown = withoutWhitespace(block.group(1));
		String tested = withoutWhitespace(body("OrderService.java") + body("OrderPlaced.java"));
		assertThat(shown).as("the README's quick-start code, whitespace aside").isEqualTo(tested);
	}

	@Test
	void quickStartEventReachesTheBrokerAfterTheCommit() {
		AmqpAdmin amqp = context.getBean(AmqpAdmin.class);
		TopicExchange orders = new TopicExchange("orders");
		amqp.declareExchange(orders);
		Queue queue = new AnonymousQueue();
		amqp.declareQueue(queue);
		amqp.declareBinding(BindingBuilder.bind(queue).to(orders).with("order-placed"));
		try {
			long orderId = context.getBean(OrderService.class).place("alice", new BigDecimal("42.50"));

			String expected = "{\"orderId\":" + orderId + ",\"total\":42.50}";
			RabbitTemplate rabbit = context.getBean(RabbitTemplate.class);
			await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
				Message message = rabbit.receive(queue.getName(), 1000);
				assertThat(message).isNotNull();
				assertThat(new String(message.getBody(), StandardCharsets.UTF_8)).isEqualTo(expected);
				assertThat(message.getMessageProperties().getHeaders()).containsEntry("outbox-event-type",
						"order-placed");
			});
		}
		finally {
			amqp.deleteQueue(queue.getName());
		}
	}

	@Test
	void aParkedEventTurnsTheAggregateHealthDegradedOverHttpAndTheEndpointRefusesWritesByDefault() {
		assertThat(health("/actuator/health").getBody()).containsEntry("status", "UP");
		String exchange = "quickstart-" + UUID.randomUUID();
		AmqpAdmin amqp = context.getBean(AmqpAdmin.class);
		amqp.declareExchange(new DirectExchange(exchange, false, true));
		try {
			// no queue is bound to the exchange: RabbitMQ returns the event, it is parked
			UUID id = new TransactionTemplate(context.getBean(PlatformTransactionManager.class))
				.execute((status) -> context.getBean(Outbox.class).publish(OutboxEvent.of(exchange, "k-1", "lost")));

			await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
				ResponseEntity<Map<String, Object>> aggregate = health("/actuator/health");
				assertThat(aggregate.getStatusCode().value()).isEqualTo(200);
				assertThat(aggregate.getBody()).containsEntry("status", "DEGRADED");
			});
			assertThat(health("/actuator/health/outbox").getBody()).containsEntry("status", "DEGRADED");

			// not a UUID: a client error, whatever the method
			assertThat(status(http.get().uri("/actuator/outbox/not-a-uuid"))).isEqualTo(400);
			// replay and discard are not granted: refused, and the event stays parked
			assertThat(status(http.post().uri("/actuator/outbox/{id}", id))).isEqualTo(405);
			assertThat(status(http.post().uri("/actuator/outbox"))).isEqualTo(405);
			assertThat(status(http.delete().uri("/actuator/outbox/{id}", id))).isEqualTo(405);
			assertThat(http.get().uri("/actuator/outbox/{id}", id).retrieve().body(OBJECT)).containsEntry("state",
					"PARKED");
		}
		finally {
			amqp.deleteExchange(exchange);
			try (HikariDataSource dataSource = database.dataSource()) {
				new JdbcTemplate(dataSource).update("delete from " + database.schema() + ".outbox_event");
			}
		}
	}

	private static ResponseEntity<Map<String, Object>> health(String path) {
		return http.get().uri(path).retrieve().onStatus((status) -> true, (request, response) -> {
		}).toEntity(OBJECT);
	}

	private static int status(RestClient.RequestHeadersSpec<?> request) {
		return request.exchange((req, response) -> response.getStatusCode().value());
	}

	/** A source file of this package without its package and import lines. */
	private static String body(String file) throws IOException {
		StringBuilder body = new StringBuilder();
		for (String line : Files.readAllLines(SOURCES.resolve(file), StandardCharsets.UTF_8)) {
			if (!line.startsWith("package ") && !line.startsWith("import ")) {
				body.append(line).append('\n');
			}
		}
		return body.toString();
	}

	private static String withoutWhitespace(String text) {
		return text.replaceAll("\\s+", "");
	}

}
