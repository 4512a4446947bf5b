package dev.outbox;

import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.test.TestPostgres;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link SqlIdentifiers} against the key words of the real PostgreSQL: every word it
 * reserves is rejected, so a new server version that reserves more shows here.
 */
class SqlIdentifiersIntegrationTests {

	@Test
	void rejectsEveryWordTheServerReserves() {
		TestPostgres.Database database = TestPostgres.newSchema();
		try (HikariDataSource dataSource = database.dataSource()) {
			try {
				List<String> reserved = new JdbcTemplate(dataSource)
					.queryForList("select word from pg_get_keywords() where catcode in ('R', 'T')", String.class);
				assertThat(reserved).hasSizeGreaterThan(90)
					.allSatisfy((word) -> assertThat(SqlIdentifiers.isValid(word)).as(word).isFalse());
			}
			finally {
				database.drop(dataSource);
			}
		}
	}

}
