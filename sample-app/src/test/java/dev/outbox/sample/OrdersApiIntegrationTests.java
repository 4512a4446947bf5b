package dev.outbox.sample;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The orders API's answers to requests it cannot serve: a clear 400 or 404, and nothing
 * stored. Runs in the same application context as
 * {@link OrdersWalkthroughIntegrationTests}.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class OrdersApiIntegrationTests {

	private static final ParameterizedTypeReference<List<Map<String, Object>>> LIST = new ParameterizedTypeReference<>() {
	};

	@LocalServerPort
	int port;

	@Test
	void orderWithoutAmountIsRejectedAndStoresNothing() {
		RestClient http = RestClient.create("http://localhost:" + this.port);
		int ordersBefore = http.get().uri("/orders").retrieve().body(LIST).size();

		ResponseEntity<String> response = http.post()
			.uri("/orders")
			.contentType(MediaType.APPLICATION_JSON)
			.body("{\"customer\": \"alice\"}")
			.retrieve()
			.onStatus(HttpStatusCode::isError, (request, resp) -> {
			})
			.toEntity(String.class);

		assertThat(response.getStatusCode().value()).isEqualTo(400);
		assertThat(response.getBody()).contains("An order needs a customer and a positive amount");
		assertThat(http.get().uri("/orders").retrieve().body(LIST)).hasSize(ordersBefore);
	}

	@ParameterizedTest
	@CsvSource(delimiter = '|',
			textBlock = """
					too long customer         | {"customer": "%s", "amount": 1}             | at most 255 fit
					more than two decimals    | {"customer": "alice", "amount": 1.239}     | more than 2 decimals
					more than ten digits      | {"customer": "alice", "amount": 12345678901} | more than 10 digits before the decimal point
					blank customer            | {"customer": " ", "amount": 1}             | An order needs a customer
					""")
	void invalidOrderIsRejectedWithTheReasonAndStoresNothing(String what, String body, String reason) {
		RestClient http = RestClient.create("http://localhost:" + this.port);
		int ordersBefore = http.get().uri("/orders").retrieve().body(LIST).size();

		ResponseEntity<String> response = post(http, body.formatted("c".repeat(300)));

		assertThat(response.getStatusCode().value()).as(what).isEqualTo(400);
		assertThat(response.getBody()).as(what).contains(reason);
		assertThat(http.get().uri("/orders").retrieve().body(LIST)).hasSize(ordersBefore);
	}

	@Test
	void amountIsStoredAndAnsweredWithTwoDecimals() {
		RestClient http = RestClient.create("http://localhost:" + this.port);
		ResponseEntity<String> response = post(http, "{\"customer\": \"bob\", \"amount\": 7.5}");
		assertThat(response.getStatusCode().value()).isEqualTo(201);
		assertThat(response.getBody()).contains("\"amount\":7.50");
	}

	@Test
	void oversizedBodyIsRefusedBeforeItIsRead() {
		RestClient http = RestClient.create("http://localhost:" + this.port);
		String huge = "{\"customer\": \"" + "x".repeat(1024 * 1024) + "\", \"amount\": 1}";
		assertThat(post(http, huge).getStatusCode().value()).isEqualTo(413);
	}

	private static ResponseEntity<String> post(RestClient http, String body) {
		return http.post()
			.uri("/orders")
			.contentType(MediaType.APPLICATION_JSON)
			.body(body)
			.retrieve()
			.onStatus(HttpStatusCode::isError, (request, resp) -> {
			})
			.toEntity(String.class);
	}

	@Test
	void unknownOrderIsNotFound() {
		RestClient http = RestClient.create("http://localhost:" + this.port);
		assertThat(statusOf(http.get().uri("/orders/{id}", Long.MAX_VALUE))).isEqualTo(404);
		assertThat(statusOf(http.post().uri("/orders/{id}/redeliver", Long.MAX_VALUE))).isEqualTo(404);
	}

	private static int statusOf(RestClient.RequestHeadersSpec<?> request) {
		return request.retrieve().onStatus(HttpStatusCode::isError, (req, resp) -> {
		}).toBodilessEntity().getStatusCode().value();
	}

}
