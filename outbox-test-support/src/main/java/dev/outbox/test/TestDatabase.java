package dev.outbox.test;

import java.util.Map;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;

/**
 * A place of its own on a test server, on PostgreSQL ({@link TestPostgres}: a schema),
 * MariaDB ({@link TestMariaDb}: a database) or MySQL ({@link TestMySql}: a database, in
 * Docker only), so that tests of the same behaviour run against each server from one
 * class.
 */
public interface TestDatabase {

	/**
	 * The server's product, as {@code outbox.database} names it: {@code postgresql},
	 * {@code mariadb} or {@code mysql}.
	 * @return the product
	 */
	String product();

	/**
	 * The name of this test's schema (PostgreSQL) or database (MariaDB).
	 * @return the name
	 */
	String schema();

	/**
	 * The JDBC URL of this place.
	 * @return the URL
	 */
	String url();

	/**
	 * The user name.
	 * @return the user name
	 */
	String username();

	/**
	 * The password.
	 * @return the password
	 */
	String password();

	/**
	 * Open a small connection pool on this place; close it when the test is done.
	 * @return a pooled data source
	 */
	HikariDataSource dataSource();

	/**
	 * Spring Boot properties that point {@code spring.datasource.*} here.
	 * @return property name to value
	 */
	Map<String, String> springProperties();

	/**
	 * The same as {@link #springProperties()} as {@code name=value} strings, for
	 * {@code ApplicationContextRunner.withPropertyValues}.
	 * @return {@code name=value} pairs
	 */
	default String[] propertyValues() {
		return springProperties().entrySet()
			.stream()
			.map((e) -> e.getKey() + "=" + e.getValue())
			.toArray(String[]::new);
	}

	/**
	 * Create the outbox tables here with the migrations the starter ships for this server
	 * (which must be on the test classpath), the default table names and the starter's
	 * default history tables.
	 * @param dataSource a data source on this place
	 */
	void migrateOutboxSchema(DataSource dataSource);

	/**
	 * Drop this place and everything in it.
	 * @param dataSource any data source on the server
	 */
	void drop(DataSource dataSource);

	/**
	 * A new, empty place on the server of a product.
	 * @param product {@code postgresql}, {@code mariadb} or {@code mysql}
	 * @return the place
	 * @throws org.opentest4j.TestAbortedException for {@code mysql} where Docker is not
	 * available: the test is skipped with the reason
	 */
	static TestDatabase create(String product) {
		return switch (product) {
			case "postgresql" -> TestPostgres.newSchema();
			case "mariadb" -> TestMariaDb.newDatabase();
			case "mysql" -> TestMySql.newDatabase();
			default -> throw new IllegalArgumentException("No test server for '" + product + "'");
		};
	}

}
