package dev.outbox;

import java.util.Locale;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * Names of the outbox tables, validated as SQL identifiers so they can be put into
 * statements safely.
 *
 * @param schema the schema, or {@code null} for the connection's default (search path)
 * @param eventTable the outbox event table; the relay's lease and instance tables are
 * named after it ({@code <eventTable>_lease}, {@code <eventTable>_instance})
 * @param processedTable the idempotent consumer's processed-message table
 */
public record OutboxTables(@Nullable String schema, String eventTable, String processedTable) {

	/** Default event table name. */
	public static final String DEFAULT_EVENT_TABLE = "outbox_event";

	/** Default processed-message table name. */
	public static final String DEFAULT_PROCESSED_TABLE = "outbox_processed_message";

	private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,47}");

	/**
	 * Validate the names.
	 * @param schema the schema, or {@code null}
	 * @param eventTable the event table
	 * @param processedTable the processed-message table
	 * @throws IllegalArgumentException if a name is not a plain lower-case SQL identifier
	 */
	public OutboxTables {
		if (schema != null) {
			schema = validate(schema, "schema");
		}
		eventTable = validate(eventTable, "event table");
		processedTable = validate(processedTable, "processed-message table");
	}

	/**
	 * The default names in the default schema.
	 * @return the default table names
	 */
	public static OutboxTables defaults() {
		return new OutboxTables(null, DEFAULT_EVENT_TABLE, DEFAULT_PROCESSED_TABLE);
	}

	/**
	 * Whether {@code name} is a valid identifier: lower-case letters, digits and
	 * underscores, starting with a letter or underscore, at most 48 characters (room for
	 * the suffixes of derived names within PostgreSQL's 63).
	 * @param name the candidate
	 * @return whether it is valid
	 */
	public static boolean isValidIdentifier(@Nullable String name) {
		return name != null && IDENTIFIER.matcher(name).matches();
	}

	/**
	 * The event table, qualified with the schema if one is set.
	 * @return the qualified name
	 */
	public String qualifiedEventTable() {
		return qualify(this.eventTable);
	}

	/**
	 * The relay's partition lease table, qualified.
	 * @return the qualified name
	 */
	public String qualifiedLeaseTable() {
		return qualify(this.eventTable + "_lease");
	}

	/**
	 * The relay's instance table, qualified.
	 * @return the qualified name
	 */
	public String qualifiedInstanceTable() {
		return qualify(this.eventTable + "_instance");
	}

	/**
	 * The processed-message table, qualified.
	 * @return the qualified name
	 */
	public String qualifiedProcessedTable() {
		return qualify(this.processedTable);
	}

	private String qualify(String table) {
		return (this.schema != null) ? this.schema + "." + table : table;
	}

	private static String validate(@Nullable String name, String what) {
		String trimmed = (name != null) ? name.trim() : null;
		if (!isValidIdentifier(trimmed)) {
			throw new IllegalArgumentException("Invalid " + what + " name '" + name
					+ "': use a plain SQL identifier of lower-case letters, digits and underscores, starting with a letter or underscore, at most 48 characters (for example '"
					+ what.toLowerCase(Locale.ROOT).replace(' ', '_').replace("-", "_") + "')");
		}
		return trimmed;
	}

}
