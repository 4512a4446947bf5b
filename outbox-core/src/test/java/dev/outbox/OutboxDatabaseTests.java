package dev.outbox;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * How {@link OutboxDatabase} reads the database from JDBC metadata.
 */
class OutboxDatabaseTests {

	@ParameterizedTest
	@CsvSource({ "PostgreSQL, 15.8, POSTGRESQL", "MariaDB, 10.11.19-MariaDB-0+deb12u1, MARIADB",
			"MySQL, 10.11.19-MariaDB-0+deb12u1, MARIADB", "MySQL, 5.5.5-10.6.12-MariaDB, MARIADB",
			"MySQL, 8.0.36, MYSQL", "MySQL, 8.4.2, MYSQL" })
	void readsTheDatabaseFromProductNameAndVersion(String name, String version, OutboxDatabase expected) {
		assertThat(OutboxDatabase.of(name, version)).isEqualTo(expected);
	}

	@Test
	void anyOtherDatabaseIsRejectedNamingWhatIsSupportedAndTheProperty() {
		assertThatExceptionOfType(OutboxException.class).isThrownBy(() -> OutboxDatabase.of("H2", "2.3.232"))
			.withMessageContaining("'H2'")
			.withMessageContaining("PostgreSQL, MariaDB and MySQL")
			.withMessageContaining("outbox.database");
	}

}
