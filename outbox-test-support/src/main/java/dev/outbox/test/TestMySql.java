package dev.outbox.test;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.mysql.MySQLContainer;

/**
 * The MySQL 8.0 server of the integration tests: a Testcontainers MySQL, started once per
 * JVM, so only where Docker is available (Debian packages MariaDB, not MySQL). Without
 * Docker a test that asks for it is skipped (aborted) with the reason, never failed. Each
 * call of {@link #newDatabase()} gives a test its own empty database, as on MariaDB.
 */
public final class TestMySql {

	static final String IMAGE = "mysql:8.0";

	private static TestPostgres.@Nullable Server server;

	private TestMySql() {
	}

	/**
	 * Connection settings of the server (URL without a database), starting it at the
	 * first call.
	 * @return the server's connection settings
	 * @throws org.opentest4j.TestAbortedException if Docker is not available
	 */
	public static synchronized TestPostgres.Server server() {
		TestPhase.requireServicesAllowed("MySQL");
		Assumptions.assumeTrue(TestPostgres.dockerAvailable(),
				"MySQL " + IMAGE + " runs in Docker only (Testcontainers) and Docker is not available here");
		if (server == null) {
			MySQLContainer container = new MySQLContainer(IMAGE).withUsername("root").withPassword("outbox");
			container.start();
			server = new TestPostgres.Server("jdbc:mysql://" + container.getHost() + ":" + container.getMappedPort(3306)
					+ "/?useSSL=false&allowPublicKeyRetrieval=true", "root", "outbox");
		}
		return server;
	}

	/**
	 * Create a new, empty database and return connection settings whose default database
	 * is it.
	 * @return a handle on a fresh database
	 * @throws org.opentest4j.TestAbortedException if Docker is not available
	 */
	public static TestMariaDb.Database newDatabase() {
		return TestMariaDb.newDatabase("mysql", server());
	}

}
