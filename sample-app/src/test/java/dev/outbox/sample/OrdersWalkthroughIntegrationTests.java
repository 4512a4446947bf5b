package dev.outbox.sample;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

/**
 * The walkthrough exactly as the READMEs run it: the default configuration, Kafka, with
 * the embedded PostgreSQL and the in-process Kafka broker the application starts itself.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class OrdersWalkthroughIntegrationTests extends OrdersWalkthrough {

}
