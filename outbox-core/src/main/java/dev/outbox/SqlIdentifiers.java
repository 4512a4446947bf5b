package dev.outbox;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * The one rule for the names the outbox puts into SQL unquoted: its schema, tables,
 * migration history tables and the PostgreSQL notification channel.
 * <p>
 * A valid name is a plain SQL identifier: lower-case letters, digits and underscores,
 * starting with a letter or underscore, at most {@value #MAX_LENGTH} characters (room for
 * the suffixes of derived names, such as {@code _schema_history}, within PostgreSQL's 63
 * and MySQL's 64), and not a word the database reserves (it would need quoting). Lower
 * case, because PostgreSQL folds unquoted names to lower case: {@code LISTEN Orders}
 * listens on {@code orders}, which {@code pg_notify('Orders', ..)} never reaches; and
 * MySQL's table names follow the file system's case rules. The methods without an
 * {@link OutboxDatabase} apply PostgreSQL's reserved words; MariaDB and MySQL share one
 * list, the words either of them reserves.
 */
public final class SqlIdentifiers {

	/** Longest valid name. */
	public static final int MAX_LENGTH = 48;

	/** The rule on PostgreSQL, as told to users. */
	public static final String RULE = rule(OutboxDatabase.POSTGRESQL);

	private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]*");

	/**
	 * The key words PostgreSQL reserves: "reserved" and "reserved (can be function or
	 * type)" in the appendix "SQL Key Words" of its manual, as listed by
	 * {@code pg_get_keywords()} (categories R and T) of PostgreSQL 15, plus
	 * {@code system_user} (reserved since 16). Neither can name a table, schema or
	 * channel unquoted.
	 */
	private static final Set<String> RESERVED = Set.of("all", "analyse", "analyze", "and", "any", "array", "as", "asc",
			"asymmetric", "authorization", "binary", "both", "case", "cast", "check", "collate", "collation", "column",
			"concurrently", "constraint", "create", "cross", "current_catalog", "current_date", "current_role",
			"current_schema", "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc",
			"distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "freeze", "from", "full",
			"grant", "group", "having", "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull",
			"join", "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp", "natural", "not",
			"notnull", "null", "offset", "on", "only", "or", "order", "outer", "overlaps", "placing", "primary",
			"references", "returning", "right", "select", "session_user", "similar", "some", "symmetric", "system_user",
			"table", "tablesample", "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic",
			"verbose", "when", "where", "window", "with");

	/**
	 * The key words MariaDB 10.11 or MySQL 8.0 reserve: those of MariaDB's
	 * {@code information_schema.keywords} that cannot name a table unquoted, and the
	 * words marked reserved in MySQL 8.0's manual ("Keywords and Reserved Words"). The
	 * two share their migrations, so a name must be valid on both.
	 */
	private static final Set<String> MYSQL_RESERVED = Set.of("accessible", "add", "all", "alter", "analyze", "and",
			"as", "asc", "asensitive", "before", "between", "bigint", "binary", "blob", "both", "by", "call", "cascade",
			"case", "change", "char", "character", "check", "collate", "column", "condition", "constraint", "continue",
			"convert", "create", "cross", "cube", "cume_dist", "current_date", "current_role", "current_time",
			"current_timestamp", "current_user", "cursor", "database", "databases", "day_hour", "day_microsecond",
			"day_minute", "day_second", "dec", "decimal", "declare", "default", "delayed", "delete", "delete_domain_id",
			"dense_rank", "desc", "describe", "deterministic", "distinct", "distinctrow", "div", "do_domain_ids",
			"double", "drop", "dual", "each", "else", "elseif", "empty", "enclosed", "escaped", "except", "exists",
			"exit", "explain", "false", "fetch", "first_value", "float", "float4", "float8", "for", "force", "foreign",
			"from", "fulltext", "function", "generated", "get", "grant", "group", "grouping", "groups", "having",
			"high_priority", "hour_microsecond", "hour_minute", "hour_second", "if", "ignore", "ignore_domain_ids",
			"in", "index", "infile", "inner", "inout", "insensitive", "insert", "int", "int1", "int2", "int3", "int4",
			"int8", "integer", "intersect", "interval", "into", "io_after_gtids", "io_before_gtids", "is", "iterate",
			"join", "json_table", "key", "keys", "kill", "lag", "last_value", "lateral", "lead", "leading", "leave",
			"left", "like", "limit", "linear", "lines", "load", "localtime", "localtimestamp", "lock", "long",
			"longblob", "longtext", "loop", "low_priority", "master_bind", "master_demote_to_replica",
			"master_demote_to_slave", "master_ssl_verify_server_cert", "match", "maxvalue", "mediumblob", "mediumint",
			"mediumtext", "middleint", "minute_microsecond", "minute_second", "mod", "modifies", "natural",
			"no_write_to_binlog", "not", "nth_value", "ntile", "null", "numeric", "of", "offset", "on", "optimize",
			"optimizer_costs", "option", "optionally", "or", "order", "out", "outer", "outfile", "over",
			"page_checksum", "parse_vcol_expr", "partition", "percent_rank", "portion", "precision", "primary",
			"procedure", "purge", "range", "rank", "read", "read_write", "reads", "real", "recursive", "ref_system_id",
			"references", "regexp", "release", "rename", "repeat", "replace", "require", "resignal", "restrict",
			"return", "returning", "revoke", "right", "rlike", "row", "row_number", "rows", "schema", "schemas",
			"second_microsecond", "select", "sensitive", "separator", "set", "show", "signal", "smallint", "spatial",
			"specific", "sql", "sql_big_result", "sql_calc_found_rows", "sql_small_result", "sqlexception", "sqlstate",
			"sqlwarning", "ssl", "starting", "stats_auto_recalc", "stats_persistent", "stats_sample_pages", "stored",
			"straight_join", "system", "table", "terminated", "then", "tinyblob", "tinyint", "tinytext", "to",
			"trailing", "trigger", "true", "undo", "union", "unique", "unlock", "unsigned", "update", "usage", "use",
			"using", "utc_date", "utc_time", "utc_timestamp", "values", "varbinary", "varchar", "varcharacter",
			"varying", "virtual", "when", "where", "while", "window", "with", "write", "xor", "year_month", "zerofill");

	private SqlIdentifiers() {
	}

	/**
	 * The rule on a database, as told to users.
	 * @param database the database
	 * @return the rule
	 */
	public static String rule(OutboxDatabase database) {
		return "a plain SQL identifier of lower-case letters, digits and underscores, starting with a letter or "
				+ "underscore, at most " + MAX_LENGTH + " characters, and not a " + reservedBy(database)
				+ " reserved word";
	}

	private static String reservedBy(OutboxDatabase database) {
		return database.isMySqlFamily() ? "MariaDB or MySQL" : "PostgreSQL";
	}

	private static Set<String> reserved(OutboxDatabase database) {
		return database.isMySqlFamily() ? MYSQL_RESERVED : RESERVED;
	}

	/**
	 * Whether {@code name} follows the rule.
	 * @param name the candidate
	 * @return whether it is valid
	 */
	public static boolean isValid(@Nullable String name) {
		return problem(name) == null;
	}

	/**
	 * What is wrong with {@code name}.
	 * @param name the candidate
	 * @return why it breaks the rule, or {@code null} if it is valid
	 */
	public static @Nullable String problem(@Nullable String name) {
		return problem(name, OutboxDatabase.POSTGRESQL);
	}

	/**
	 * What is wrong with {@code name} on a database.
	 * @param name the candidate
	 * @param database the database
	 * @return why it breaks the rule, or {@code null} if it is valid
	 */
	public static @Nullable String problem(@Nullable String name, OutboxDatabase database) {
		if (name == null || name.isEmpty()) {
			return "it is empty";
		}
		if (name.length() > MAX_LENGTH) {
			return "it is " + name.length() + " characters long, over " + MAX_LENGTH;
		}
		if (!IDENTIFIER.matcher(name).matches()) {
			return name.equals(name.toLowerCase(Locale.ROOT))
					? "it has characters other than lower-case letters, digits and underscores, or starts with a digit"
					: "it has upper-case letters, which PostgreSQL folds to lower case";
		}
		if (reserved(database).contains(name)) {
			return "'" + name + "' is a reserved word in " + reservedBy(database);
		}
		return null;
	}

	/**
	 * Why {@code name} is invalid and how to fix it, in a sentence for a start-up error.
	 * @param name the candidate
	 * @param setting what sets the name (a property, a builder method), named in the fix
	 * @param example a valid name to suggest when none can be derived from {@code name}
	 * @return the reason and the fix, or {@code null} if the name is valid
	 */
	public static @Nullable String invalidReason(@Nullable String name, String setting, String example) {
		return invalidReason(name, setting, example, OutboxDatabase.POSTGRESQL);
	}

	/**
	 * Why {@code name} is invalid on a database and how to fix it, in a sentence for a
	 * start-up error.
	 * @param name the candidate
	 * @param setting what sets the name (a property, a builder method), named in the fix
	 * @param example a valid name to suggest when none can be derived from {@code name}
	 * @param database the database
	 * @return the reason and the fix, or {@code null} if the name is valid
	 */
	public static @Nullable String invalidReason(@Nullable String name, String setting, String example,
			OutboxDatabase database) {
		String problem = problem(name, database);
		if (problem == null) {
			return null;
		}
		return capitalize(problem) + ". Set " + setting + " to " + rule(database) + ", for example '"
				+ suggestion(name, example, reserved(database)) + "'.";
	}

	/**
	 * Check {@code name} against the rule.
	 * @param name the candidate
	 * @param setting what sets the name (a property, a builder method), named in the
	 * message
	 * @param example a valid name to suggest
	 * @return {@code name}
	 * @throws IllegalArgumentException naming the setting, the problem and the fix if it
	 * is invalid
	 */
	public static String requireValid(@Nullable String name, String setting, String example) {
		return requireValid(name, setting, example, OutboxDatabase.POSTGRESQL);
	}

	/**
	 * Check {@code name} against the rule of a database.
	 * @param name the candidate
	 * @param setting what sets the name (a property, a builder method), named in the
	 * message
	 * @param example a valid name to suggest
	 * @param database the database
	 * @return {@code name}
	 * @throws IllegalArgumentException naming the setting, the problem and the fix if it
	 * is invalid
	 */
	public static String requireValid(@Nullable String name, String setting, String example, OutboxDatabase database) {
		String reason = invalidReason(name, setting, example, database);
		if (reason != null || name == null) {
			throw new IllegalArgumentException("Invalid " + setting + " '" + name + "': " + reason);
		}
		return name;
	}

	private static String suggestion(@Nullable String name, String example, Set<String> reserved) {
		if (name != null) {
			String lower = name.trim().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
			String candidate = reserved.contains(lower) ? "outbox_" + lower : lower;
			if (!candidate.isEmpty() && Character.isDigit(candidate.charAt(0))) {
				candidate = "_" + candidate;
			}
			if (IDENTIFIER.matcher(candidate).matches() && candidate.length() <= MAX_LENGTH
					&& !reserved.contains(candidate)) {
				return candidate;
			}
		}
		return example;
	}

	private static String capitalize(String text) {
		return Character.toUpperCase(text.charAt(0)) + text.substring(1);
	}

}
