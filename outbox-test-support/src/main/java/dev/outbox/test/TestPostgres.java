package dev.outbox.test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The PostgreSQL server the integration tests run against.
 * <p>
 * Settings come from {@code OUTBOX_TEST_PG_URL}, {@code OUTBOX_TEST_PG_USER} and
 * {@code OUTBOX_TEST_PG_PASSWORD} (defaults:
 * {@code jdbc:postgresql://localhost:5432/outbox_test}, {@code outbox}/{@code outbox}, as
 * created by {@code .ci/run}). When the server runs but that role or database does not
 * exist, they are created through a superuser ({@code OUTBOX_TEST_PG_ADMIN_USER}, default
 * {@code postgres}, and {@code OUTBOX_TEST_PG_ADMIN_PASSWORD}, default empty: trust
 * authentication on localhost). When that fails too and Docker is available, a
 * Testcontainers PostgreSQL is started instead; otherwise the test fails with a message
 * giving the commands to run. Each call of {@link #newSchema()} gives a test its own
 * empty schema, so test classes never see each other's rows.
 */
public final class TestPostgres {

	private static final String DEFAULT_URL = "jdbc:postgresql://localhost:5432/outbox_test";

	private static final Pattern DATABASE_IN_URL = Pattern.compile("jdbc:postgresql://[^/]*/([^?/]+)(\\?.*)?");

	private static @Nullable Server server;

	private TestPostgres() {
	}

	/**
	 * Connection settings of the server (URL without a schema).
	 * @return the server's connection settings
	 */
	public static synchronized Server server() {
		TestPhase.requireServicesAllowed("PostgreSQL");
		if (server == null) {
			server = locate();
		}
		return server;
	}

	/**
	 * Create a new, empty schema and return connection settings whose default schema is
	 * it.
	 * @return a database handle scoped to a fresh schema
	 */
	public static Database newSchema() {
		Server s = server();
		String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
		try (Connection connection = DriverManager.getConnection(s.url(), s.username(), s.password());
				Statement statement = connection.createStatement()) {
			statement.execute("create schema " + schema);
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not create test schema " + schema + ": " + ex.getMessage(), ex);
		}
		String separator = s.url().contains("?") ? "&" : "?";
		return new Database(s.url() + separator + "currentSchema=" + schema, s.username(), s.password(), schema);
	}

	private static Server locate() {
		String url = env("OUTBOX_TEST_PG_URL", DEFAULT_URL);
		String user = env("OUTBOX_TEST_PG_USER", "outbox");
		String password = env("OUTBOX_TEST_PG_PASSWORD", "outbox");
		String adminUser = env("OUTBOX_TEST_PG_ADMIN_USER", "postgres");
		String adminPassword = env("OUTBOX_TEST_PG_ADMIN_PASSWORD", "");
		try {
			return connectOrCreate(url, user, password, adminUser, adminPassword);
		}
		catch (IllegalStateException ex) {
			if (dockerAvailable()) {
				PostgreSQLContainer container = new PostgreSQLContainer("postgres:15-alpine");
				container.start();
				return new Server(container.getJdbcUrl(), container.getUsername(), container.getPassword());
			}
			throw ex;
		}
	}

	/**
	 * Connect as the test user; if its role or database does not exist yet, create both
	 * through the superuser (as {@code .ci/run} does) and connect again.
	 * @param url the test database's JDBC URL
	 * @param user the test user
	 * @param password its password
	 * @param adminUser a superuser of the same server, used only to create the role and
	 * the database
	 * @param adminPassword its password (empty with trust authentication)
	 * @return the server
	 * @throws IllegalStateException with the commands to run by hand when neither works
	 */
	static Server connectOrCreate(String url, String user, String password, String adminUser, String adminPassword) {
		try (Connection ignored = DriverManager.getConnection(url, user, password)) {
			return new Server(url, user, password);
		}
		catch (SQLException ex) {
			String database = databaseName(url);
			if (database == null || !missingRoleOrDatabase(ex)) {
				throw notReachable(url, user, password, database, ex);
			}
			try {
				createRoleAndDatabase(adminUrl(url), adminUser, adminPassword, user, password, database);
			}
			catch (SQLException adminEx) {
				IllegalStateException failure = notReachable(url, user, password, database, ex);
				failure.addSuppressed(adminEx);
				throw failure;
			}
			try (Connection ignored = DriverManager.getConnection(url, user, password)) {
				return new Server(url, user, password);
			}
			catch (SQLException retryEx) {
				throw notReachable(url, user, password, database, retryEx);
			}
		}
	}

	private static boolean missingRoleOrDatabase(SQLException ex) {
		// 28000 invalid authorization (no such role), 28P01 wrong password (also what a
		// missing role gives with password authentication), 3D000 no such database
		String state = ex.getSQLState();
		return "28000".equals(state) || "28P01".equals(state) || "3D000".equals(state);
	}

	private static void createRoleAndDatabase(String adminUrl, String adminUser, String adminPassword, String user,
			String password, String database) throws SQLException {
		try (Connection connection = DriverManager.getConnection(adminUrl, adminUser, adminPassword);
				Statement statement = connection.createStatement()) {
			if (!exists(connection, "select 1 from pg_roles where rolname = ?", user)) {
				createUnlessConcurrent(statement,
						"create role " + identifier(user) + " login password '" + password.replace("'", "''") + "'");
			}
			if (!exists(connection, "select 1 from pg_database where datname = ?", database)) {
				createUnlessConcurrent(statement,
						"create database " + identifier(database) + " owner " + identifier(user));
			}
		}
	}

	/**
	 * Run a {@code create}, taking "already exists" as success: several JVMs started at
	 * once (the comparison benchmark's peers, parallel test forks) each find the role or
	 * database missing and create it.
	 */
	private static void createUnlessConcurrent(Statement statement, String sql) throws SQLException {
		try {
			statement.execute(sql);
		}
		catch (SQLException ex) {
			// 42710 duplicate object (a role), 42P04 duplicate database; a concurrent
			// create database can also fail on the unique index of pg_database (23505)
			String state = ex.getSQLState();
			if (!"42710".equals(state) && !"42P04".equals(state) && !"23505".equals(state)) {
				throw ex;
			}
		}
	}

	private static boolean exists(Connection connection, String sql, String name) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setString(1, name);
			try (ResultSet rs = statement.executeQuery()) {
				return rs.next();
			}
		}
	}

	private static String identifier(String name) {
		return "\"" + name.replace("\"", "\"\"") + "\"";
	}

	private static String adminUrl(String url) {
		Matcher matcher = DATABASE_IN_URL.matcher(url);
		if (!matcher.matches()) {
			throw new IllegalArgumentException("Not a PostgreSQL JDBC URL with a database: " + url);
		}
		return url.substring(0, matcher.start(1)) + "postgres" + url.substring(matcher.end(1));
	}

	static @Nullable String databaseName(String url) {
		Matcher matcher = DATABASE_IN_URL.matcher(url);
		return matcher.matches() ? matcher.group(1) : null;
	}

	/** SQLSTATE {@code too_many_connections}. */
	private static final String TOO_MANY_CONNECTIONS = "53300";

	private static IllegalStateException notReachable(String url, String user, String password,
			@Nullable String database, SQLException ex) {
		String db = (database != null) ? database : "outbox_test";
		if (TOO_MANY_CONNECTIONS.equals(ex.getSQLState())) {
			return new IllegalStateException("""
					PostgreSQL at %s runs but has no connection slot left (%s).
					Other processes hold them (`select usename, application_name, count(*) from pg_stat_activity
					group by 1, 2`): stop them, or raise the limit, e.g.
					  psql -U postgres -c "alter system set max_connections = 200"
					  pg_ctlcluster --skip-systemctl-redirect 15 main restart
					""".formatted(url, ex.getMessage()), ex);
		}
		return new IllegalStateException("""
				PostgreSQL is not reachable at %s as user '%s' (%s),
				and the role and database could not be created through a superuser
				(OUTBOX_TEST_PG_ADMIN_USER, default postgres, with trust authentication on localhost).
				Start PostgreSQL and create them, e.g. `bash .ci/run` does both, or by hand:
				  pg_ctlcluster --skip-systemctl-redirect 15 main start
				  psql -U postgres -c "create role %s login password '%s'" -c "create database %s owner %s"
				or point OUTBOX_TEST_PG_URL / OUTBOX_TEST_PG_USER / OUTBOX_TEST_PG_PASSWORD at another server.
				""".formatted(url, user, ex.getMessage(), user, password, db, user), ex);
	}

	static boolean dockerAvailable() {
		try {
			return DockerClientFactory.instance().isDockerAvailable();
		}
		catch (Throwable ex) {
			return false;
		}
	}

	static String env(String name, String defaultValue) {
		String value = System.getenv(name);
		return (value != null && !value.isBlank()) ? value : defaultValue;
	}

	/**
	 * Connection settings of the PostgreSQL server.
	 *
	 * @param url the JDBC URL
	 * @param username the user name
	 * @param password the password
	 */
	public record Server(String url, String username, String password) {
	}

	/**
	 * A schema of its own on the test server.
	 *
	 * @param url JDBC URL whose {@code currentSchema} is {@code schema}
	 * @param username the user name
	 * @param password the password
	 * @param schema the schema name
	 */
	public record Database(String url, String username, String password, String schema) implements TestDatabase {

		@Override
		public String product() {
			return "postgresql";
		}

		/**
		 * Open a small connection pool on this schema; close it when the test is done.
		 * @return a pooled data source
		 */
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

		/**
		 * Spring Boot properties that point {@code spring.datasource.*} at this schema.
		 * @return property name to value
		 */
		@Override
		public Map<String, String> springProperties() {
			Map<String, String> properties = new LinkedHashMap<>();
			properties.put("spring.datasource.url", this.url);
			properties.put("spring.datasource.username", this.username);
			properties.put("spring.datasource.password", this.password);
			return properties;
		}

		/**
		 * The same as {@link #springProperties()} as {@code name=value} strings, for
		 * {@code ApplicationContextRunner.withPropertyValues}.
		 * @return {@code name=value} pairs
		 */
		@Override
		public String[] propertyValues() {
			return springProperties().entrySet()
				.stream()
				.map((e) -> e.getKey() + "=" + e.getValue())
				.toArray(String[]::new);
		}

		/**
		 * Create the outbox tables in this schema with the migrations the starter ships
		 * ({@code classpath:dev/outbox/db/event} and
		 * {@code classpath:dev/outbox/db/processed}, which must be on the test
		 * classpath), the default table names and the starter's default history tables.
		 * @param dataSource a data source on this schema
		 */
		@Override
		public void migrateOutboxSchema(DataSource dataSource) {
			Map<String, String> placeholders = Map.of("event_table", "outbox_event", "processed_table",
					"outbox_processed_message");
			Flyway.configure()
				.dataSource(dataSource)
				.schemas(this.schema)
				.locations("classpath:dev/outbox/db/event")
				.table("outbox_schema_history")
				.placeholders(placeholders)
				.load()
				.migrate();
			Flyway.configure()
				.dataSource(dataSource)
				.schemas(this.schema)
				.locations("classpath:dev/outbox/db/processed")
				.table("outbox_processed_message_schema_history")
				.placeholders(placeholders)
				.baselineOnMigrate(true)
				.baselineVersion("0")
				.load()
				.migrate();
		}

		/**
		 * Drop the schema and everything in it.
		 * @param dataSource any data source on the server
		 */
		@Override
		public void drop(DataSource dataSource) {
			try (Connection connection = dataSource.getConnection();
					Statement statement = connection.createStatement()) {
				statement.execute("drop schema if exists " + this.schema + " cascade");
			}
			catch (SQLException ex) {
				throw new IllegalStateException(ex);
			}
		}

	}

	/**
	 * Gives a test class a schema of its own: created before its first test, dropped
	 * after its last. Register it as a {@code static} field with
	 * {@code @RegisterExtension}; instance fields may then read {@link #database()}.
	 */
	public static final class SchemaPerClass implements BeforeAllCallback, AfterAllCallback {

		private @Nullable Database database;

		/**
		 * The schema of the running test class.
		 * @return the database and schema
		 * @throws IllegalStateException before the class's tests start
		 */
		public Database database() {
			Database current = this.database;
			if (current == null) {
				throw new IllegalStateException(
						"No schema yet: register SchemaPerClass as a static @RegisterExtension field");
			}
			return current;
		}

		@Override
		public void beforeAll(ExtensionContext context) {
			this.database = newSchema();
		}

		@Override
		public void afterAll(ExtensionContext context) {
			Database current = this.database;
			if (current != null) {
				try (HikariDataSource dataSource = current.dataSource()) {
					current.drop(dataSource);
				}
				this.database = null;
			}
		}

	}

	/**
	 * Gives a test class as many fresh schemas as it asks for ({@link #newSchema()}), and
	 * an administrative data source ({@link #admin()}) to look into them; drops them all
	 * and closes the data source after the class's tests.
	 */
	public static final class Schemas implements BeforeAllCallback, AfterAllCallback {

		private final List<Database> databases = Collections.synchronizedList(new ArrayList<>());

		private @Nullable HikariDataSource admin;

		/**
		 * A new, empty schema, dropped after the class's tests.
		 * @return the database and schema
		 */
		public Database newSchema() {
			return dropAfterwards(TestPostgres.newSchema());
		}

		/**
		 * Drop a schema a test created itself after the class's tests too.
		 * @param database the database and schema
		 * @return the same database
		 */
		public Database dropAfterwards(Database database) {
			this.databases.add(database);
			return database;
		}

		/**
		 * A small pool on the test server, for statements on any of the schemas.
		 * @return the data source
		 * @throws IllegalStateException before the class's tests start
		 */
		public HikariDataSource admin() {
			HikariDataSource current = this.admin;
			if (current == null) {
				throw new IllegalStateException(
						"No admin data source yet: register Schemas as a static @RegisterExtension field");
			}
			return current;
		}

		@Override
		public void beforeAll(ExtensionContext context) {
			this.admin = newSchema().dataSource();
		}

		@Override
		public void afterAll(ExtensionContext context) {
			HikariDataSource current = this.admin;
			if (current != null) {
				this.databases.forEach((database) -> database.drop(current));
				this.databases.clear();
				current.close();
				this.admin = null;
			}
		}

	}

}
