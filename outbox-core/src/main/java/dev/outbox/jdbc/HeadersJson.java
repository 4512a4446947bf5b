package dev.outbox.jdbc;

import java.util.Map;

/**
 * Writes string headers as a JSON object for the {@code jsonb} headers column, without
 * depending on the payload serializer (which may not write JSON).
 */
final class HeadersJson {

	static final String EMPTY = "{}";

	private HeadersJson() {
	}

	static String write(Map<String, String> headers) {
		if (headers.isEmpty()) {
			return EMPTY;
		}
		StringBuilder json = new StringBuilder(32 * headers.size());
		json.append('{');
		boolean first = true;
		for (Map.Entry<String, String> header : headers.entrySet()) {
			if (!first) {
				json.append(',');
			}
			first = false;
			appendString(json, header.getKey());
			json.append(':');
			appendString(json, header.getValue());
		}
		return json.append('}').toString();
	}

	/**
	 * Whether the value can be stored in {@code jsonb}, which rejects the NUL character.
	 * @param value the value
	 * @return whether it can be stored
	 */
	static boolean isStorable(String value) {
		return value.indexOf('\u0000') < 0;
	}

	/**
	 * The length of the value in UTF-8, as the brokers carry it, without encoding it.
	 * @param value the value
	 * @return its length in bytes
	 */
	static int utf8Length(String value) {
		int length = 0;
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			if (c < 0x80) {
				length++;
			}
			else if (c < 0x800) {
				length += 2;
			}
			else if (Character.isHighSurrogate(c) && i + 1 < value.length()
					&& Character.isLowSurrogate(value.charAt(i + 1))) {
				length += 4;
				i++;
			}
			else {
				length += Character.isSurrogate(c) ? 1 : 3;
			}
		}
		return length;
	}

	private static void appendString(StringBuilder json, String value) {
		json.append('"');
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			switch (c) {
				case '"' -> json.append("\\\"");
				case '\\' -> json.append("\\\\");
				case '\n' -> json.append("\\n");
				case '\r' -> json.append("\\r");
				case '\t' -> json.append("\\t");
				default -> {
					if (c < 0x20) {
						json.append(String.format("\\u%04x", (int) c));
					}
					else {
						json.append(c);
					}
				}
			}
		}
		json.append('"');
	}

}
