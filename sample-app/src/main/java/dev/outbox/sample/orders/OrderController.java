package dev.outbox.sample.orders;

import java.math.BigDecimal;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * {@code POST /orders} places an order; {@code GET /orders} and {@code GET /orders/{id}}
 * show them.
 */
@RestController
@RequestMapping("/orders")
class OrderController {

	private final OrderService orders;

	OrderController(OrderService orders) {
		this.orders = orders;
	}

	@PostMapping
	ResponseEntity<OrderView> place(@RequestBody NewOrder request) {
		String customer = request.customer();
		BigDecimal amount = request.amount();
		if (customer == null || customer.isBlank() || amount == null || amount.signum() <= 0) {
			throw new ResponseStatusException(HttpStatus.BAD_REQUEST,
					"An order needs a customer and a positive amount, for example {\"customer\": \"alice\", \"amount\": 42.50}");
		}
		Order order = this.orders.place(customer, amount);
		return ResponseEntity.created(URI.create("/orders/" + order.getId())).body(OrderView.of(order));
	}

	@ExceptionHandler(InvalidOrderException.class)
	ProblemDetail invalidOrder(InvalidOrderException ex) {
		return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
	}

	@GetMapping
	List<OrderView> list() {
		return this.orders.findAll().stream().map(OrderView::of).toList();
	}

	@GetMapping("/{id}")
	ResponseEntity<OrderView> get(@PathVariable long id) {
		return ResponseEntity.of(this.orders.find(id).map(OrderView::of));
	}

	/**
	 * Body of {@code POST /orders}.
	 *
	 * @param customer who places the order
	 * @param amount the order's total, positive
	 */
	record NewOrder(@Nullable String customer, @Nullable BigDecimal amount) {
	}

	/**
	 * An order as the API shows it.
	 *
	 * @param id the order id
	 * @param customer who placed it
	 * @param amount its total
	 * @param placedAt when it was placed
	 * @param eventId message id of its OrderPlaced event
	 */
	record OrderView(long id, String customer, BigDecimal amount, Instant placedAt, @Nullable UUID eventId) {

		static OrderView of(Order order) {
			return new OrderView(order.getId(), order.getCustomer(), order.getAmount(), order.getPlacedAt(),
					order.getEventId());
		}

	}

}
