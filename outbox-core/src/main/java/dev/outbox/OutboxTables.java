package dev.outbox;

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

	/**
	 * Validate the names.
	 * @param schema the schema, or {@code null}
	 * @param eventTable the event table
	 * @param processedTable the processed-message table
	 * @throws IllegalArgumentException if a name breaks the {@link SqlIdentifiers} rule
	 */
	public OutboxTables {
		if (schema != null) {
			schema = validate(schema, "schema", "outbox");
		}
		eventTable = validate(eventTable, "eventTable", DEFAULT_EVENT_TABLE);
		processedTable = validate(processedTable, "processedTable", DEFAULT_PROCESSED_TABLE);
	}

	/**
	 * The default names in the default schema.
	 * @return the default table names
	 */
	public static OutboxTables defaults() {
		return new OutboxTables(null, DEFAULT_EVENT_TABLE, DEFAULT_PROCESSED_TABLE);
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

	private static String validate(@Nullable String name, String what, String example) {
		return SqlIdentifiers.requireValid((name != null) ? name.trim() : null, what, example);
	}

}
