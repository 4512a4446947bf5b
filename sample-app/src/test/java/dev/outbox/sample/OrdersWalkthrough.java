package dev.outbox.sample;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The walkthrough of the sample (the README's Sample app section, then
 * sample-app/README.md), step by step over HTTP against the running application: place an
 * order, see it listed, watch the shipping consumer create its shipment, redeliver the
 * event and see the duplicate skipped, then ask the actuator's outbox endpoint and the
 * health. Subclasses choose the broker and the servers.
 */
abstract class OrdersWalkthrough {

	private static final ParameterizedTypeReference<Map<String, Object>> OBJECT = new ParameterizedTypeReference<>() {
	};

	private static final ParameterizedTypeReference<List<Map<String, Object>>> LIST = new ParameterizedTypeReference<>() {
	};

	@LocalServerPort
	int port;

	@Test
	void placedOrderIsShippedOnceEvenWhenItsEventIsDeliveredTwice() {
		RestClient http = RestClient.create("http://localhost:" + this.port);
		double duplicatesBefore = metric(http, "outbox.consumer.duplicates");

		// 1. place an order
		ResponseEntity<Map<String, Object>> placed = http.post()
			.uri("/orders")
			.contentType(MediaType.APPLICATION_JSON)
			.body("{\"customer\": \"alice\", \"amount\": 42.50}")
			.retrieve()
			.toEntity(OBJECT);
		assertThat(placed.getStatusCode()).isEqualTo(HttpStatus.CREATED);
		Map<String, Object> order = placed.getBody();
		assertThat(order).containsEntry("customer", "alice").containsKeys("id", "eventId");
		Number orderId = (Number) order.get("id");
		String eventId = (String) order.get("eventId");
		assertThat(placed.getHeaders().getLocation()).hasToString("/orders/" + orderId);

		// 2. it is listed, and can be fetched
		assertThat(http.get().uri("/orders").retrieve().body(LIST)).extracting((o) -> o.get("id")).contains(orderId);
		assertThat(http.get().uri("/orders/{id}", orderId).retrieve().body(OBJECT)).containsEntry("eventId", eventId)
			.containsEntry("amount", 42.5);

		// 3. the relay delivers OrderPlaced and shipping creates one shipment
		await().atMost(Duration.ofSeconds(30))
			.untilAsserted(() -> assertThat(shipmentsOf(http, orderId)).singleElement()
				.satisfies((shipment) -> assertThat(shipment).containsEntry("customer", "alice")
					.containsEntry("messageId", eventId)));
		// counted once the relay marked it published, which may be after the
		// consumer got it
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(metric(http, "outbox.events.published")).isGreaterThanOrEqualTo(1));

		// 4. the same message again, with the same message id
		ResponseEntity<Map<String, Object>> redelivered = http.post()
			.uri("/orders/{id}/redeliver", orderId)
			.retrieve()
			.toEntity(OBJECT);
		assertThat(redelivered.getStatusCode()).isEqualTo(HttpStatus.ACCEPTED);
		assertThat(redelivered.getBody()).containsEntry("messageId", eventId);

		// 5. the consumer skips it: counted, and still one shipment
		await().atMost(Duration.ofSeconds(30))
			.untilAsserted(
					() -> assertThat(metric(http, "outbox.consumer.duplicates")).isEqualTo(duplicatesBefore + 1));
		assertThat(shipmentsOf(http, orderId)).hasSize(1);

		// 6. the outbox endpoint over HTTP: nothing waits, fails or is parked
		await().atMost(Duration.ofSeconds(30))
			.untilAsserted(() -> assertThat(http.get().uri("/actuator/outbox").retrieve().body(OBJECT))
				.containsEntry("pending", 0)
				.containsEntry("failing", 0)
				.containsEntry("parked", 0)
				.containsEntry("events", List.of()));
		assertThat(http.post().uri("/actuator/outbox").retrieve().body(OBJECT)).containsEntry("replayed", 0);
		String unknown = "01a207cf-e8e7-7493-826c-a9a86bd89b46";
		HttpStatusCode lookup = http.get()
			.uri("/actuator/outbox/{id}", unknown)
			.exchange((request, response) -> response.getStatusCode());
		assertThat(lookup).isEqualTo(HttpStatus.NOT_FOUND);
		assertThat(http.delete().uri("/actuator/outbox/{id}", unknown).retrieve().body(OBJECT))
			.containsEntry("discarded", 0);
		// an id that is not a UUID is the client's error, whatever the method
		for (HttpMethod method : List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE)) {
			ResponseEntity<String> malformed = http.method(method)
				.uri("/actuator/outbox/not-a-uuid")
				.exchange((request, response) -> ResponseEntity.status(response.getStatusCode())
					.body(new String(response.getBody().readAllBytes(), StandardCharsets.UTF_8)));
			assertThat(malformed.getStatusCode()).as(method.name()).isEqualTo(HttpStatus.BAD_REQUEST);
			assertThat(malformed.getBody()).as(method.name()).contains("Not a message id (a UUID)");
		}

		// 7. the health shows the outbox component with its counts
		Map<String, Object> health = http.get().uri("/actuator/health").retrieve().body(OBJECT);
		assertThat(health).containsEntry("status", "UP");
		assertThat(health).extractingByKey("components")
			.asInstanceOf(InstanceOfAssertFactories.MAP)
			.extractingByKey("outbox")
			.asInstanceOf(InstanceOfAssertFactories.MAP)
			.containsEntry("status", "UP")
			.extractingByKey("details")
			.asInstanceOf(InstanceOfAssertFactories.MAP)
			.containsEntry("parked", 0);
	}

	private static List<Map<String, Object>> shipmentsOf(RestClient http, Number orderId) {
		return http.get()
			.uri("/shipments")
			.retrieve()
			.body(LIST)
			.stream()
			.filter((shipment) -> orderId.equals(shipment.get("orderId")))
			.toList();
	}

	@SuppressWarnings("unchecked")
	private static double metric(RestClient http, String name) {
		ResponseEntity<Map<String, Object>> response = http.get()
			.uri("/actuator/metrics/{name}", name)
			.retrieve()
			.onStatus((status) -> status.value() == 404, (request, resp) -> {
			})
			.toEntity(OBJECT);
		if (response.getStatusCode().value() == 404 || response.getBody() == null) {
			return 0;
		}
		List<Map<String, Object>> measurements = (List<Map<String, Object>>) response.getBody().get("measurements");
		return ((Number) measurements.get(0).get("value")).doubleValue();
	}

}
