package dev.outbox.jdbc;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link HeadersJson}.
 */
class HeadersJsonTests {

	@Test
	void emptyHeadersAreAnEmptyObject() {
		assertThat(HeadersJson.write(Map.of())).isEqualTo("{}");
	}

	@Test
	void namesAndValuesAreEscaped() {
		Map<String, String> headers = new LinkedHashMap<>();
		headers.put("a\"b", "c\\d");
		headers.put("line", "1\n2\t3\u0001");
		assertThat(HeadersJson.write(headers)).isEqualTo("{\"a\\\"b\":\"c\\\\d\",\"line\":\"1\\n2\\t3\\u0001\"}");
	}

}
