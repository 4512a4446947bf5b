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
 * the suffixes of derived names, such as {@code _schema_history}, within PostgreSQL's
 * 63), and not a word PostgreSQL reserves (it would need quoting). Lower case, because
 * PostgreSQL folds unquoted names to lower case: {@code LISTEN Orders} listens on
 * {@code orders}, which {@code pg_notify('Orders', ..)} never reaches.
 */
public final class SqlIdentifiers {

	/** Longest valid name. */
	public static final int MAX_LENGTH = 48;

	/** The rule, as told to users. */
	public static final String RULE = "a plain SQL identifier of lower-case letters, digits and underscores, "
			+ "starting with a letter or underscore, at most " + MAX_LENGTH
			+ " characters, and not a PostgreSQL reserved word";

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

	private SqlIdentifiers() {
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
		if (RESERVED.contains(name)) {
			return "'" + name + "' is a reserved word in PostgreSQL";
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
		String problem = problem(name);
		if (problem == null) {
			return null;
		}
		return capitalize(problem) + ". Set " + setting + " to " + RULE + ", for example '" + suggestion(name, example)
				+ "'.";
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
		String reason = invalidReason(name, setting, example);
		if (reason != null || name == null) {
			throw new IllegalArgumentException("Invalid " + setting + " '" + name + "': " + reason);
		}
		return name;
	}

	private static String suggestion(@Nullable String name, String example) {
		if (name != null) {
			String lower = name.trim().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
			String candidate = RESERVED.contains(lower) ? "outbox_" + lower : lower;
			if (!candidate.isEmpty() && Character.isDigit(candidate.charAt(0))) {
				candidate = "_" + candidate;
			}
			if (IDENTIFIER.matcher(candidate).matches() && candidate.length() <= MAX_LENGTH
					&& !RESERVED.contains(candidate)) {
				return candidate;
			}
		}
		return example;
	}

	private static String capitalize(String text) {
		return Character.toUpperCase(text.charAt(0)) + text.substring(1);
	}

}
