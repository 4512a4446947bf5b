package dev.outbox.test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves the harness reaches MariaDB and gives each caller a database of its own, dropped
 * on request.
 */
class TestMariaDbIntegrationTests {

	@Test
	void eachCallGetsAnEmptyDatabaseOfItsOwnThatIsDroppedAfterwards() throws SQLException {
		TestMariaDb.Database first = TestMariaDb.newDatabase();
		TestMariaDb.Database second = TestMariaDb.newDatabase();
		assertThat(first.schema()).isNotEqualTo(second.schema()).startsWith("t_");
		assertThat(first.product()).isEqualTo("mariadb");
		try (HikariDataSource one = first.dataSource(); HikariDataSource two = second.dataSource()) {
			try (Connection connection = one.getConnection(); Statement statement = connection.createStatement()) {
				assertThat(string(connection, "select database()")).isEqualTo(first.schema());
				statement.execute("create table probe (id int primary key, name varchar(20))");
				statement.execute("insert into probe values (1, 'written')");
				assertThat(string(connection, "select name from probe")).isEqualTo("written");
			}
			try (Connection connection = two.getConnection()) {
				assertThat(string(connection,
						"select count(*) from information_schema.tables where table_schema = database()"))
					.isEqualTo("0");
			}
			first.drop(two);
			second.drop(two);
			try (Connection connection = two.getConnection()) {
				assertThat(string(connection, "select count(*) from information_schema.schemata where schema_name in ('"
						+ first.schema() + "', '" + second.schema() + "')"))
					.isEqualTo("0");
			}
		}
	}

	private static String string(Connection connection, String sql) throws SQLException {
		try (PreparedStatement statement = connection.prepareStatement(sql);
				ResultSet rows = statement.executeQuery()) {
			rows.next();
			return rows.getString(1);
		}
	}

}
