package dev.outbox.test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.jspecify.annotations.Nullable;
import org.testcontainers.mariadb.MariaDBContainer;

/**
 * The MariaDB server the integration tests run against.
 * <p>
 * Settings come from {@code OUTBOX_TEST_MARIADB_URL}, {@code OUTBOX_TEST_MARIADB_USER}
 * and {@code OUTBOX_TEST_MARIADB_PASSWORD} (defaults:
 * {@code jdbc:mariadb://127.0.0.1:3306/}, {@code root} with an empty password, as a fresh
 * {@code mariadb-server} package and {@code .ci/run} leave it). The user must be allowed
 * to create databases. When the server cannot be reached and Docker is available, a
 * Testcontainers MariaDB is started instead; otherwise the test fails with a message
 * giving the commands to run. Each call of {@link #newDatabase()} gives a test its own
 * empty database (MariaDB's schema), named {@code t_...} like the PostgreSQL schemas, so
 * test classes never see each other's rows; {@code .ci/run} drops the leftovers of
 * interrupted runs.
 */
public final class TestMariaDb {

	private static final String DEFAULT_URL = "jdbc:mariadb://127.0.0.1:3306/";

	private static TestPostgres.@Nullable Server server;

	private TestMariaDb() {
	}

	/**
	 * Connection settings of the server (URL without a database).
	 * @return the server's connection settings
	 */
	public static synchronized TestPostgres.Server server() {
		TestPhase.requireServicesAllowed("MariaDB");
		if (server == null) {
			server = locate();
		}
		return server;
	}

	/**
	 * Create a new, empty database and return connection settings whose default database
	 * is it.
	 * @return a handle on a fresh database
	 */
	public static Database newDatabase() {
		return newDatabase("mariadb", server());
	}

	/**
	 * Create a new, empty database on a server of the MariaDB family.
	 * @param product {@code mariadb} or {@code mysql}
	 * @param s the server
	 * @return a handle on a fresh database
	 */
	static Database newDatabase(String product, TestPostgres.Server s) {
		String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
		try (Connection connection = DriverManager.getConnection(s.url(), s.username(), s.password());
				Statement statement = connection.createStatement()) {
			statement.execute("create database " + name + " character set utf8mb4 collate utf8mb4_bin");
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not create test database " + name + ": " + ex.getMessage(), ex);
		}
		return new Database(product, withDatabase(s.url(), name), s.username(), s.password(), name);
	}

	private static String withDatabase(String serverUrl, String database) {
		int query = serverUrl.indexOf('?');
		String base = (query >= 0) ? serverUrl.substring(0, query) : serverUrl;
		String parameters = (query >= 0) ? serverUrl.substring(query) : "";
		return (base.endsWith("/") ? base : base + "/") + database + parameters;
	}

	private static TestPostgres.Server locate() {
		String url = TestPostgres.env("OUTBOX_TEST_MARIADB_URL", DEFAULT_URL);
		String user = TestPostgres.env("OUTBOX_TEST_MARIADB_USER", "root");
		String password = (System.getenv("OUTBOX_TEST_MARIADB_PASSWORD") != null)
				? System.getenv("OUTBOX_TEST_MARIADB_PASSWORD") : "";
		try (Connection ignored = DriverManager.getConnection(url, user, password)) {
			return new TestPostgres.Server(url, user, password);
		}
		catch (SQLException ex) {
			if (TestPostgres.dockerAvailable()) {
				MariaDBContainer container = new MariaDBContainer("mariadb:10.11").withUsername("root")
					.withPassword("outbox");
				container.start();
				// the server's URL, without the container's default database
				return new TestPostgres.Server(
						"jdbc:mariadb://" + container.getHost() + ":" + container.getMappedPort(3306) + "/", "root",
						"outbox");
			}
			throw new IllegalStateException("""
					MariaDB is not reachable at %s as user '%s' (%s).
					Start it, e.g. `bash .ci/run` does, or by hand:
					  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
					(apt-get install mariadb-server if it is missing), or point OUTBOX_TEST_MARIADB_URL /
					OUTBOX_TEST_MARIADB_USER / OUTBOX_TEST_MARIADB_PASSWORD at another server whose user may
					create databases.
					""".formatted(url, user, ex.getMessage()), ex);
		}
	}

	/**
	 * A database of its own on the test server: MariaDB, or MySQL ({@link TestMySql}),
	 * which share their migrations.
	 *
	 * @param product {@code mariadb} or {@code mysql}
	 * @param url JDBC URL whose default database is {@code schema}
	 * @param username the user name
	 * @param password the password
	 * @param schema the database name
	 */
	public record Database(String product, String url, String username, String password,
			String schema) implements TestDatabase {

		/**
		 * A database of its own on the MariaDB test server.
		 * @param url JDBC URL whose default database is {@code schema}
		 * @param username the user name
		 * @param password the password
		 * @param schema the database name
		 */
		public Database(String url, String username, String password, String schema) {
			this("mariadb", url, username, password, schema);
		}

		@Override
		public HikariDataSource dataSource() {
			HikariConfig config = new HikariConfig();
			config.setJdbcUrl(this.url);
			config.setUsername(this.username);
			config.setPassword(this.password);
			config.setMaximumPoolSize(10);
			config.setPoolName("test-" + this.schema);
			return new HikariDataSource(config);
		}

		@Override
		public Map<String, String> springProperties() {
			Map<String, String> properties = new LinkedHashMap<>();
			properties.put("spring.datasource.url", this.url);
			properties.put("spring.datasource.username", this.username);
			properties.put("spring.datasource.password", this.password);
			return properties;
		}

		/**
		 * Create the outbox tables in this database with the MariaDB/MySQL migrations
		 * ({@code classpath:dev/outbox/db/mysql/event} and
		 * {@code classpath:dev/outbox/db/mysql/processed}), the default table names and
		 * the starter's default history tables.
		 * @param dataSource a data source on this database
		 */
		@Override
		public void migrateOutboxSchema(DataSource dataSource) {
			Map<String, String> placeholders = Map.of("event_table", "outbox_event", "processed_table",
					"outbox_processed_message");
			Flyway.configure()
				.dataSource(dataSource)
				.locations("classpath:dev/outbox/db/mysql/event")
				.table("outbox_schema_history")
				.placeholders(placeholders)
				.load()
				.migrate();
			Flyway.configure()
				.dataSource(dataSource)
				.locations("classpath:dev/outbox/db/mysql/processed")
				.table("outbox_processed_message_schema_history")
				.placeholders(placeholders)
				.baselineOnMigrate(true)
				.baselineVersion("0")
				.load()
				.migrate();
		}

		@Override
		public void drop(DataSource dataSource) {
			try (Connection connection = dataSource.getConnection();
					Statement statement = connection.createStatement()) {
				statement.execute("drop database if exists " + this.schema);
			}
			catch (SQLException ex) {
				throw new IllegalStateException(ex);
			}
		}

	}

}
