package dev.outbox.relay;

/**
 * The text recorded in {@code last_error} for a failed delivery: the exception chain,
 * bounded, and holding only characters PostgreSQL can store ({@code text} rejects NUL,
 * and an unpaired surrogate is no valid UTF-8).
 */
final class ErrorText {

	/** Longest text recorded, in chars. */
	static final int MAX_LENGTH = 2000;

	private static final char REPLACEMENT = '\uFFFD';

	private ErrorText() {
	}

	/**
	 * Describe a failure by its exception chain: wrappers such as
	 * {@code KafkaException("Send failed")} hide the reason in their causes.
	 * @param cause the failure
	 * @return the text to record
	 */
	static String describe(Throwable cause) {
		StringBuilder builder = new StringBuilder();
		Throwable current = cause;
		for (int depth = 0; current != null && depth < 5 && builder.length() < MAX_LENGTH; depth++) {
			builder.append((depth > 0) ? "; caused by: " : "")
				.append(current.getClass().getName())
				.append(": ")
				.append(current.getMessage());
			current = (current.getCause() != current) ? current.getCause() : null;
		}
		return storable(builder);
	}

	/**
	 * The text recorded instead when the database rejected the described one.
	 * @param rejection why the database rejected it
	 * @return the text to record
	 */
	static String notRecorded(Throwable rejection) {
		return storable("The error text could not be recorded (" + rejection.getClass().getName() + ")");
	}

	/**
	 * The text with NUL and unpaired surrogates replaced by U+FFFD, cut to
	 * {@link #MAX_LENGTH} without splitting a surrogate pair.
	 * @param text the text
	 * @return a text PostgreSQL can store
	 */
	static String storable(CharSequence text) {
		int length = text.length();
		StringBuilder result = new StringBuilder(Math.min(length, MAX_LENGTH));
		for (int i = 0; i < length; i++) {
			char c = text.charAt(i);
			if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(text.charAt(i + 1))) {
				if (result.length() + 2 > MAX_LENGTH) {
					break;
				}
				result.append(c).append(text.charAt(++i));
				continue;
			}
			if (result.length() + 1 > MAX_LENGTH) {
				break;
			}
			result.append((c == '\0' || Character.isSurrogate(c)) ? REPLACEMENT : c);
		}
		return result.toString();
	}

}
