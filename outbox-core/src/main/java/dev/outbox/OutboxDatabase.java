package dev.outbox;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;

import javax.sql.DataSource;

import org.jspecify.annotations.Nullable;

/**
 * The databases the outbox runs on. Each one has its own SQL for the write path and the
 * idempotent consumer, its own migrations and its own identifier rule
 * ({@link SqlIdentifiers}); MariaDB and MySQL share theirs. The database is read from the
 * connection's metadata ({@link #of(DatabaseMetaData)}) unless it is set
 * ({@code outbox.database}).
 */
public enum OutboxDatabase {

	/** PostgreSQL 13 or later: the reference, with {@code LISTEN/NOTIFY} wake-ups. */
	POSTGRESQL("PostgreSQL"),

	/** MariaDB 10.6 or later. */
	MARIADB("MariaDB"),

	/** MySQL 8.0 or later. */
	MYSQL("MySQL");

	private final String displayName;

	OutboxDatabase(String displayName) {
		this.displayName = displayName;
	}

	/**
	 * The product name, as users know it.
	 * @return the name
	 */
	public String displayName() {
		return this.displayName;
	}

	/**
	 * Whether this is MariaDB or MySQL, which share their SQL and migrations.
	 * @return whether it is MariaDB or MySQL
	 */
	public boolean isMySqlFamily() {
		return this != POSTGRESQL;
	}

	/**
	 * The database of a data source, read from the metadata of one of its connections.
	 * @param dataSource the data source
	 * @return the database
	 * @throws OutboxException if no connection can be had, or the database is not one of
	 * these
	 */
	public static OutboxDatabase of(DataSource dataSource) {
		try (Connection connection = dataSource.getConnection()) {
			return of(connection.getMetaData());
		}
		catch (SQLException ex) {
			throw new OutboxException("Could not read which database the outbox runs on from a connection of the "
					+ "DataSource (" + ex.getMessage() + "): make the database reachable, or set outbox.database "
					+ "(postgresql, mariadb or mysql) to skip the detection", ex);
		}
	}

	/**
	 * The database described by connection metadata. MariaDB's driver reports
	 * {@code MariaDB}, or {@code MySQL} in MySQL compatibility mode; MySQL's driver
	 * connected to MariaDB reports {@code MySQL} with a version that names MariaDB.
	 * @param metaData the connection's metadata
	 * @return the database
	 * @throws SQLException if the metadata cannot be read
	 * @throws OutboxException if the database is not one of these
	 */
	public static OutboxDatabase of(DatabaseMetaData metaData) throws SQLException {
		return of(metaData.getDatabaseProductName(), metaData.getDatabaseProductVersion());
	}

	/**
	 * The database of a product name and version, as reported by JDBC metadata.
	 * @param productName the product name
	 * @param productVersion the product version, or {@code null}
	 * @return the database
	 * @throws OutboxException if the database is not one of these
	 */
	public static OutboxDatabase of(@Nullable String productName, @Nullable String productVersion) {
		String name = (productName != null) ? productName.toLowerCase(Locale.ROOT) : "";
		String version = (productVersion != null) ? productVersion.toLowerCase(Locale.ROOT) : "";
		if (name.contains("postgresql")) {
			return POSTGRESQL;
		}
		if (name.contains("mariadb") || (name.contains("mysql") && version.contains("mariadb"))) {
			return MARIADB;
		}
		if (name.contains("mysql")) {
			return MYSQL;
		}
		throw new OutboxException("The outbox does not support the database '" + productName + "' (version "
				+ productVersion + "): it runs on PostgreSQL, MariaDB and MySQL. If this is one of them under "
				+ "another name, set outbox.database to postgresql, mariadb or mysql");
	}

}
