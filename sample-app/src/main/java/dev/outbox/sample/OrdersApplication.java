package dev.outbox.sample;

import java.time.Clock;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * The orders service: places orders and publishes {@code OrderPlaced} through the outbox,
 * and ships them in an idempotent consumer of those events.
 */
@SpringBootApplication
public class OrdersApplication {

	/**
	 * Start the service.
	 * @param args command-line arguments
	 */
	public static void main(String[] args) {
		SpringApplication.run(OrdersApplication.class, args);
	}

	@Bean
	Clock clock() {
		return Clock.systemUTC();
	}

}
