package dev.outbox.test;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The unit tests (Surefire) refuse the services, naming the test class and the fix.
 */
class TestPhaseTests {

	@Test
	void servicesAreRefusedToUnitTestsWithTheFix() {
		assumeTrue(TestPhase.UNIT.equals(System.getProperty(TestPhase.PROPERTY)), "runs under Surefire");
		assertThatIllegalStateException().isThrownBy(TestPostgres::server)
			.withMessageStartingWith("dev.outbox.test.TestPhaseTests uses PostgreSQL")
			.withMessageContaining("name the class *IntegrationTests");
		assertThatIllegalStateException().isThrownBy(TestRabbit::broker).withMessageContaining("uses RabbitMQ");
		assertThatIllegalStateException().isThrownBy(TestKafka::bootstrapServers).withMessageContaining("uses Kafka");
		assertThatIllegalStateException().isThrownBy(KafkaBrokerProcess::new)
			.withMessageContaining("uses a Kafka broker process");
	}

}
