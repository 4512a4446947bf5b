package dev.outbox;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The identifier rule of {@link SqlIdentifiers}.
 */
class SqlIdentifiersTests {

	@ParameterizedTest
	@ValueSource(strings = { "outbox_event", "_private", "orders2", "users", "user_events", "integer", "values",
			"a23456789012345678901234567890123456789012345678" })
	void acceptsPlainLowerCaseIdentifiersThatAreNotReserved(String name) {
		assertThat(SqlIdentifiers.isValid(name)).isTrue();
		assertThat(SqlIdentifiers.problem(name)).isNull();
		assertThat(SqlIdentifiers.invalidReason(name, "outbox.table", "outbox_event")).isNull();
		assertThat(SqlIdentifiers.requireValid(name, "outbox.table", "outbox_event")).isEqualTo(name);
	}

	@ParameterizedTest
	@ValueSource(strings = { "user", "select", "order", "table", "all", "check", "current_user", "offset", "join",
			"left", "authorization", "system_user", "with" })
	void rejectsPostgresqlReservedWords(String name) {
		assertThat(SqlIdentifiers.isValid(name)).isFalse();
		assertThat(SqlIdentifiers.problem(name)).isEqualTo("'" + name + "' is a reserved word in PostgreSQL");
		assertThat(SqlIdentifiers.invalidReason(name, "outbox.table", "outbox_event"))
			.contains("Set outbox.table to a plain SQL identifier")
			.contains("not a PostgreSQL reserved word")
			.endsWith("for example 'outbox_" + name + "'.");
	}

	@Test
	void rejectsUpperCaseBecausePostgresqlFoldsUnquotedNames() {
		assertThat(SqlIdentifiers.problem("Orders")).contains("upper-case");
		assertThat(SqlIdentifiers.invalidReason("Orders", "outbox.notify-channel", "outbox"))
			.endsWith("for example 'orders'.");
	}

	@ParameterizedTest
	@ValueSource(strings = { "", "1orders", "orders-outbox", "public; drop table x", "orders outbox", "ordérs",
			"a234567890123456789012345678901234567890123456789" })
	void rejectsAnythingElse(String name) {
		assertThat(SqlIdentifiers.isValid(name)).isFalse();
		assertThat(SqlIdentifiers.problem(name)).isNotNull();
	}

	@Test
	void rejectsNull() {
		assertThat(SqlIdentifiers.isValid(null)).isFalse();
		assertThatIllegalArgumentException().isThrownBy(() -> SqlIdentifiers.requireValid(null, "schema", "outbox"))
			.withMessageContaining("schema")
			.withMessageContaining("empty");
	}

	@Test
	void namesLongerThan48CharactersAreRejectedWithTheirLength() {
		String name = "a".repeat(49);
		assertThat(SqlIdentifiers.problem(name)).isEqualTo("it is 49 characters long, over 48");
		assertThat(SqlIdentifiers.invalidReason(name, "outbox.table", "outbox_event"))
			.endsWith("for example 'outbox_event'.");
	}

	@Test
	void requireValidNamesTheSettingTheProblemAndTheFix() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> SqlIdentifiers.requireValid("user", "eventTable", "outbox_event"))
			.withMessage("Invalid eventTable 'user': 'user' is a reserved word in PostgreSQL. Set eventTable to "
					+ SqlIdentifiers.RULE + ", for example 'outbox_user'.");
	}

	@Test
	void outboxTablesFollowTheRule() {
		assertThatIllegalArgumentException().isThrownBy(() -> new OutboxTables(null, "user", "processed"))
			.withMessageContaining("'user' is a reserved word");
		assertThatIllegalArgumentException().isThrownBy(() -> new OutboxTables("select", "events", "processed"))
			.withMessageContaining("'select' is a reserved word");
		assertThatIllegalArgumentException().isThrownBy(() -> new OutboxTables(null, "events", "Processed"))
			.withMessageContaining("upper-case");
		assertThat(new OutboxTables(" app ", " events ", "processed").qualifiedEventTable()).isEqualTo("app.events");
	}

	@ParameterizedTest
	@ValueSource(strings = { "key", "keys", "index", "range", "release", "rank", "groups", "database", "schema",
			"interval", "values", "integer", "read", "status_" + "x" })
	void appliesMariadbAndMysqlReservedWordsOnThoseDatabases(String name) {
		if (name.equals("status_x")) {
			assertThat(SqlIdentifiers.problem(name, OutboxDatabase.MARIADB)).isNull();
			return;
		}
		assertThat(SqlIdentifiers.problem(name, OutboxDatabase.MARIADB))
			.isEqualTo("'" + name + "' is a reserved word in MariaDB or MySQL");
		assertThat(SqlIdentifiers.problem(name, OutboxDatabase.MYSQL)).isNotNull();
		assertThat(SqlIdentifiers.invalidReason(name, "outbox.table", "outbox_event", OutboxDatabase.MARIADB))
			.contains("not a MariaDB or MySQL reserved word")
			.endsWith("for example 'outbox_" + name + "'.");
	}

	@Test
	void postgresqlKeepsItsOwnListSoExistingNamesStayValid() {
		assertThat(SqlIdentifiers.isValid("release")).isTrue();
		assertThat(SqlIdentifiers.problem("release", OutboxDatabase.POSTGRESQL)).isNull();
		assertThat(SqlIdentifiers.problem("user", OutboxDatabase.MARIADB)).isNull();
		assertThat(SqlIdentifiers.RULE).isEqualTo(SqlIdentifiers.rule(OutboxDatabase.POSTGRESQL));
	}

}
