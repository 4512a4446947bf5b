package dev.outbox.starter;

import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;
import dev.outbox.test.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.io.DefaultResourceLoader;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * An application with nothing but the starter and a PostgreSQL data source, as a user
 * adds it: the outbox works and the application's own schema is left alone.
 */
class StarterIntegrationTests {

	private TestPostgres.Database database;

	private HikariDataSource admin;

	@BeforeEach
	void createSchema() {
		this.database = TestPostgres.newSchema();
		this.admin = this.database.dataSource();
	}

	@AfterEach
	void dropSchema() {
		try {
			this.database.drop(this.admin);
		}
		finally {
			this.admin.close();
		}
	}

	@Test
	void createsOnlyTheOutboxTablesAndPublishesInTheTransaction() {
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(UserApplication.class)
			.properties(this.database.propertyValues())
			.properties("spring.main.web-application-type=none", "spring.main.banner-mode=off",
					"outbox.relay.enabled=false")
			.run()) {
			Outbox outbox = context.getBean(Outbox.class);
			new TransactionTemplate(context.getBean(PlatformTransactionManager.class))
				.executeWithoutResult((status) -> outbox.publish(OutboxEvent.of("orders", 42, new OrderPlaced(42))));
			assertThat(new JdbcTemplate(this.admin)
				.queryForObject("select count(*) from " + this.database.schema() + ".outbox_event", Long.class))
				.isOne();
		}
		// Boot's own Flyway is not switched on by the starter: no history table of the
		// application's migrations appears next to the outbox's own
		assertThat(tables()).containsExactlyInAnyOrder("outbox_event", "outbox_event_lease", "outbox_event_instance",
				"outbox_processed_message", "outbox_schema_history", "outbox_processed_message_schema_history");
	}

	@Test
	void withoutABrokerClientTheRelayFailsStartUpSayingWhatToAdd() {
		assertThatException().isThrownBy(() -> new SpringApplicationBuilder(UserApplication.class)
			// Spring AMQP is on this module's test class path for the quick start
			.resourceLoader(new DefaultResourceLoader(new FilteredClassLoader("org.springframework.amqp")))
			.properties(this.database.propertyValues())
			.properties("spring.main.web-application-type=none", "spring.main.banner-mode=off")
			.run()
			.close())
			.havingRootCause()
			.withMessageContaining("The outbox relay has no sender")
			.withMessageContaining("spring-boot-starter-kafka")
			.withMessageContaining("outbox.relay.enabled=false");
	}

	private List<String> tables() {
		return new JdbcTemplate(this.admin).queryForList(
				"select table_name from information_schema.tables where table_schema = ?", String.class,
				this.database.schema());
	}

	record OrderPlaced(long orderId) {
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class UserApplication {

	}

}
