package dev.outbox.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The orders service.
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

}
