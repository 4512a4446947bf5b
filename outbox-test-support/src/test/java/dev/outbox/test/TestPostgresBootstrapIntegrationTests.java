package dev.outbox.test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * On a fresh machine PostgreSQL runs but the test role and database do not exist yet: the
 * harness creates them through the superuser, and says what to run when it cannot. Uses a
 * throwaway role and database, so the shared {@code outbox}/{@code outbox_test} stay as
 * they are.
 */
class TestPostgresBootstrapIntegrationTests {

	private final String name = "bootstrap_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);

	private final String url = TestPostgres.server().url().replaceFirst("/[^/?]+(\\?|$)", "/" + this.name + "$1");

	@AfterEach
	void dropRoleAndDatabase() throws Exception {
		try (Connection connection = DriverManager.getConnection(adminUrl(), "postgres", "");
				Statement statement = connection.createStatement()) {
			statement.execute("drop database if exists " + this.name);
			statement.execute("drop role if exists " + this.name);
		}
	}

	@Test
	void createsTheMissingRoleAndDatabaseThroughTheSuperuser() throws Exception {
		assertThat(TestPostgres.databaseName(this.url)).isEqualTo(this.name);

		TestPostgres.Server server = TestPostgres.connectOrCreate(this.url, this.name, "secret", "postgres", "");

		assertThat(server.url()).isEqualTo(this.url);
		try (Connection connection = DriverManager.getConnection(this.url, this.name, "secret");
				Statement statement = connection.createStatement();
				ResultSet rs = statement.executeQuery("select current_user, current_database(), "
						+ "(select pg_get_userbyid(datdba) from pg_database where datname = current_database())")) {
			assertThat(rs.next()).isTrue();
			assertThat(rs.getString(1)).isEqualTo(this.name);
			assertThat(rs.getString(2)).isEqualTo(this.name);
			assertThat(rs.getString(3)).as("owner of the database").isEqualTo(this.name);
		}
		// a second run finds both and only connects
		assertThat(TestPostgres.connectOrCreate(this.url, this.name, "secret", "postgres", "")).isEqualTo(server);
	}

	@Test
	void severalJvmsCreatingTheMissingRoleAndDatabaseAtOnceAllConnect() throws Exception {
		// the comparison benchmark starts its peers' JVMs at once on a fresh
		// machine: each finds the role and database missing, and all but the first
		// create fail
		int callers = 4;
		CyclicBarrier start = new CyclicBarrier(callers);
		ExecutorService executor = Executors.newFixedThreadPool(callers);
		try {
			List<Future<TestPostgres.Server>> servers = new ArrayList<>();
			for (int i = 0; i < callers; i++) {
				servers.add(executor.submit(() -> {
					start.await(30, TimeUnit.SECONDS);
					return TestPostgres.connectOrCreate(this.url, this.name, "secret", "postgres", "");
				}));
			}
			for (Future<TestPostgres.Server> server : servers) {
				assertThat(server.get(60, TimeUnit.SECONDS).url()).isEqualTo(this.url);
			}
		}
		finally {
			executor.shutdownNow();
		}
	}

	@Test
	void withoutASuperuserFailsPrintingTheCommandsToRun() {
		String adminUser = "no_such_superuser_" + UUID.randomUUID().toString().substring(0, 8).toLowerCase(Locale.ROOT);
		assertThatIllegalStateException()
			.isThrownBy(() -> TestPostgres.connectOrCreate(this.url, this.name, "secret", adminUser, "wrong"))
			.withMessageContaining("PostgreSQL is not reachable at " + this.url + " as user '" + this.name + "'")
			.withMessageContaining("psql -U postgres -c \"create role " + this.name
					+ " login password 'secret'\" -c \"create database " + this.name + " owner " + this.name + "\"")
			.withMessageContaining("bash .ci/run");
	}

	@Test
	void withoutAConnectionSlotSaysSoInsteadOfOfferingToCreateTheRole() throws Exception {
		try (Connection connection = DriverManager.getConnection(adminUrl(), "postgres", "");
				Statement statement = connection.createStatement()) {
			statement.execute("create role " + this.name + " login password 'secret' connection limit 0");
			statement.execute("create database " + this.name + " owner " + this.name);
		}
		assertThatIllegalStateException()
			.isThrownBy(() -> TestPostgres.connectOrCreate(this.url, this.name, "secret", "postgres", ""))
			.withMessageContaining("PostgreSQL at " + this.url + " runs but has no connection slot left")
			.withMessageContaining("max_connections")
			.withMessageNotContaining("create role");
	}

	private String adminUrl() {
		return this.url.replaceFirst("/" + this.name, "/postgres");
	}

}
