package dev.outbox.benchmarks;

import java.util.Map;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.test.TestKafka;
import dev.outbox.test.TestPostgres;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.orm.jpa.SharedEntityManagerCreator;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * What the peers share: a Spring Boot application with JPA (the business entity) on a
 * schema of its own, a Hikari pool large enough for the most concurrent writers plus the
 * peer's own delivery threads, and the shared Kafka broker.
 */
abstract class SpringPeer implements Peer {

	private static final int POOL_SIZE = 48;

	private final String id;

	private final String displayName;

	private final TestPostgres.Database database = TestPostgres.newSchema();

	final ConfigurableApplicationContext context;

	private final TransactionTemplate transactions;

	private final EntityManager entityManager;

	final JdbcTemplate jdbc;

	SpringPeer(String id, String displayName, Class<?> application, Map<String, String> own) {
		this.id = id;
		this.displayName = displayName;
		Map<String, Object> properties = Benchmarks.jpaApplicationProperties(this.database);
		properties.put("spring.datasource.hikari.maximum-pool-size", POOL_SIZE);
		properties.put("spring.kafka.bootstrap-servers", TestKafka.bootstrapServers());
		properties.putAll(own);
		this.context = new SpringApplicationBuilder(application).properties(properties).run();
		this.transactions = new TransactionTemplate(this.context.getBean(PlatformTransactionManager.class));
		this.entityManager = SharedEntityManagerCreator
			.createSharedEntityManager(this.context.getBean(EntityManagerFactory.class));
		this.jdbc = new JdbcTemplate(this.context.getBean(DataSource.class));
	}

	/**
	 * Kafka producer settings of the peers that send through Boot's
	 * {@code KafkaTemplate}: the broker's acknowledgement from all replicas with
	 * idempotence (what the outbox's relay enforces), and no linger: they send one record
	 * at a time and wait for it, so a linger would only add its time to every send
	 * (kafka-clients 4 lingers 5 ms by default).
	 * @return property name to value
	 */
	static Map<String, String> oneAtATimeProducer() {
		return Map.of("spring.kafka.producer.acks", "all", "spring.kafka.producer.properties.enable.idempotence",
				"true", "spring.kafka.producer.properties.linger.ms", "0");
	}

	@Override
	public String id() {
		return this.id;
	}

	@Override
	public String displayName() {
		return this.displayName;
	}

	@Override
	public TransactionTemplate transactions() {
		return this.transactions;
	}

	@Override
	public void insertEntity(long id) {
		this.entityManager.persist(new BenchmarkOrder(id, "customer-" + id, 100));
	}

	@Override
	public String databaseVersion() {
		String version = this.jdbc.queryForObject("select version()", String.class);
		return (version != null) ? version.replaceAll(" on .*", "") : "?";
	}

	@Override
	public void close() {
		this.context.close();
		try (HikariDataSource dataSource = this.database.dataSource()) {
			this.database.drop(dataSource);
		}
	}

	/**
	 * A count of a row read with {@code queryForMap}.
	 * @param row the row
	 * @param column the count's column
	 * @return the count
	 */
	static long count(Map<String, @Nullable Object> row, String column) {
		if (!(row.get(column) instanceof Number count)) {
			throw new IllegalStateException("No count '" + column + "' in " + row.keySet());
		}
		return count.longValue();
	}

}
