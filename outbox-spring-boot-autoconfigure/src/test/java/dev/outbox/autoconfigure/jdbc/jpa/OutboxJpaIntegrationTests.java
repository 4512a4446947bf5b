package dev.outbox.autoconfigure.jdbc.jpa;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxException;
import dev.outbox.autoconfigure.jdbc.OutboxJdbcAutoConfiguration;
import dev.outbox.test.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.persistence.autoconfigure.EntityScan;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.jpa.repository.config.EnableJpaRepositories;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The outbox in an application whose transactions are run by the
 * {@link JpaTransactionManager} of Spring Boot's JPA auto-configuration: the entity and
 * the event commit or roll back together.
 */
class OutboxJpaIntegrationTests {

	private static TestPostgres.Database database;

	private static HikariDataSource admin;

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
				DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
				HibernateJpaAutoConfiguration.class, OutboxJdbcAutoConfiguration.class))
		.withUserConfiguration(OrdersApplication.class)
		.withPropertyValues(database.propertyValues())
		.withPropertyValues("spring.jpa.hibernate.ddl-auto=update", "spring.jpa.open-in-view=false",
				"outbox.max-payload-size=256B");

	@BeforeAll
	static void createSchema() {
		database = TestPostgres.newSchema();
		admin = database.dataSource();
	}

	@AfterAll
	static void dropSchema() {
		database.drop(admin);
		admin.close();
	}

	@Test
	void transactionsAreRunByTheJpaTransactionManager() {
		this.runner.run((context) -> assertThat(context.getBean(PlatformTransactionManager.class))
			.isInstanceOf(JpaTransactionManager.class));
	}

	@Test
	void commitWritesEntityAndEvent() {
		this.runner.run((context) -> {
			clear();
			context.getBean(OrderService.class).place(1, 100, "ok", false);
			assertThat(count("jpa_orders")).isOne();
			assertThat(jdbc().queryForObject("select aggregate_id from outbox_event", String.class)).isEqualTo("1");
		});
	}

	@Test
	void exceptionRollsBackEntityAndEvent() {
		this.runner.run((context) -> {
			clear();
			assertThatExceptionOfType(IllegalStateException.class)
				.isThrownBy(() -> context.getBean(OrderService.class).place(2, 100, "ok", true));
			assertThat(count("jpa_orders")).isZero();
			assertThat(count("outbox_event")).isZero();
		});
	}

	@Test
	void oversizePayloadRollsBackTheEntity() {
		this.runner.run((context) -> {
			clear();
			assertThatExceptionOfType(OutboxException.class)
				.isThrownBy(() -> context.getBean(OrderService.class).place(3, 100, "x".repeat(300), false))
				.withMessageContaining("outbox.max-payload-size");
			assertThat(count("jpa_orders")).isZero();
			assertThat(count("outbox_event")).isZero();
		});
	}

	@Test
	void publishOutsideATransactionIsRejected() {
		this.runner.run((context) -> {
			clear();
			assertThatExceptionOfType(OutboxException.class)
				.isThrownBy(() -> context.getBean(Outbox.class).publish(OutboxEvent.of("orders", 4, "x")))
				.withMessageContaining("@Transactional");
			assertThat(count("outbox_event")).isZero();
		});
	}

	private static void clear() {
		jdbc().execute("truncate jpa_orders, outbox_event");
	}

	private static long count(String table) {
		return jdbc().queryForObject("select count(*) from " + table, Long.class);
	}

	private static JdbcTemplate jdbc() {
		JdbcTemplate jdbc = new JdbcTemplate(admin);
		return jdbc;
	}

	@Configuration(proxyBeanMethods = false)
	@EntityScan(basePackageClasses = OrderEntity.class)
	@EnableJpaRepositories(basePackageClasses = OrderRepository.class)
	static class OrdersApplication {

		@Bean
		OrderService orderService(OrderRepository orders, Outbox outbox) {
			return new OrderService(orders, outbox);
		}

	}

}
