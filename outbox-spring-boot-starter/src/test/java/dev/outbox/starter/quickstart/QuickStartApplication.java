package dev.outbox.starter.quickstart;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A user's application around the README's quick-start classes: nothing but
 * {@code @SpringBootApplication}, the starter, a web server, the actuator and Spring
 * AMQP.
 */
@SpringBootApplication
class QuickStartApplication {

}
