package dev.outbox.sample;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.outbox.test.TestKafka;
import dev.outbox.test.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample built ahead of time ({@code spring-boot:process-aot} runs in the build) and
 * started on the JVM with {@code -Dspring.aot.enabled=true}: the application context
 * comes from the generated initializers, not from classpath scanning and conditions. An
 * order placed over HTTP goes through the outbox, the relay and Kafka to the idempotent
 * shipping consumer, once, also when its event is delivered twice. Runs under Failsafe,
 * after the AOT processing.
 */
class OrdersAotIntegrationTests {

	private static final ParameterizedTypeReference<Map<String, Object>> OBJECT = new ParameterizedTypeReference<>() {
	};

	private static final ParameterizedTypeReference<List<Map<String, Object>>> LIST = new ParameterizedTypeReference<>() {
	};

	private static TestPostgres.Database database;

	private static Process application;

	private static Path log;

	private static RestClient http;

	@BeforeAll
	static void startTheAotProcessedApplication() throws IOException {
		database = TestPostgres.newSchema();
		int port;
		try (ServerSocket socket = new ServerSocket(0)) {
			port = socket.getLocalPort();
		}
		log = Files.createTempFile("sample-aot-", ".log");
		List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-Dspring.aot.enabled=true", "-cp", System.getProperty("java.class.path"),
				OrdersApplication.class.getName(), "--server.port=" + port, "--sample.dev-services.postgres=false",
				"--sample.dev-services.kafka=false", "--spring.datasource.url=" + database.url(),
				"--spring.datasource.username=" + database.username(),
				"--spring.datasource.password=" + database.password(),
				"--spring.kafka.bootstrap-servers=" + TestKafka.bootstrapServers());
		application = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
		http = RestClient.create("http://localhost:" + port);
		await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() -> {
			assertThat(application.isAlive()).as("the application exited:%n%s", logTail()).isTrue();
			try {
				return http.get()
					.uri("/actuator/health")
					.retrieve()
					.toBodilessEntity()
					.getStatusCode()
					.is2xxSuccessful();
			}
			catch (RuntimeException ex) {
				return false;
			}
		});
		assertThat(Files.readString(log)).as("started from the AOT-generated initializers")
			.contains("Starting AOT-processed OrdersApplication");
	}

	@AfterAll
	static void stop() throws Exception {
		if (application != null) {
			application.destroy();
			if (!application.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
				application.destroyForcibly();
			}
		}
	}

	@Test
	void placedOrderIsShippedOnceThroughOutboxRelayAndIdempotentConsumer() {
		ResponseEntity<Map<String, Object>> placed = http.post()
			.uri("/orders")
			.contentType(MediaType.APPLICATION_JSON)
			.body("{\"customer\": \"aot\", \"amount\": 12.50}")
			.retrieve()
			.toEntity(OBJECT);
		assertThat(placed.getStatusCode()).isEqualTo(HttpStatus.CREATED);
		Number orderId = (Number) placed.getBody().get("id");
		String eventId = (String) placed.getBody().get("eventId");
		await().atMost(Duration.ofSeconds(60))
			.untilAsserted(() -> assertThat(shipmentsOf(orderId)).singleElement()
				.satisfies((shipment) -> assertThat(shipment).containsEntry("messageId", eventId)));

		assertThat(http.post().uri("/orders/{id}/redeliver", orderId).retrieve().toBodilessEntity().getStatusCode())
			.isEqualTo(HttpStatus.ACCEPTED);
		await().atMost(Duration.ofSeconds(60))
			.untilAsserted(() -> assertThat(logTail()).contains("skipped duplicate message " + eventId));
		assertThat(shipmentsOf(orderId)).hasSize(1);
	}

	private static List<Map<String, Object>> shipmentsOf(Number orderId) {
		return http.get()
			.uri("/shipments")
			.retrieve()
			.body(LIST)
			.stream()
			.filter((shipment) -> orderId.equals(shipment.get("orderId")))
			.toList();
	}

	private static String logTail() throws IOException {
		String text = Files.readString(log, StandardCharsets.UTF_8);
		return text.substring(Math.max(0, text.length() - 20_000));
	}

}
