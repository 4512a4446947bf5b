package dev.outbox.starter;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's configuration table and the starter's configuration metadata (generated
 * from the properties classes) list the same properties.
 */
class ReadmeConfigurationTableTests {

	private static final List<String> PREFIXES = List.of("outbox.", "management.endpoint.outbox.",
			"management.health.outbox.");

	@Test
	void readmeTableListsExactlyThePropertiesOfTheMetadata() throws IOException {
		Set<String> documented = documentedProperties();
		Set<String> declared = declaredProperties();
		assertThat(documented).as("README configuration table").containsExactlyInAnyOrderElementsOf(declared);
	}

	private static Set<String> documentedProperties() throws IOException {
		String readme = Files.readString(Path.of("../README.md"), StandardCharsets.UTF_8);
		String table = readme.substring(readme.indexOf("## Configuration"),
				readme.indexOf("\n## ", readme.indexOf("## Configuration") + 1));
		Set<String> names = new TreeSet<>();
		Matcher row = Pattern.compile("(?m)^\\| `([a-z0-9.-]+)[^`]*` \\|").matcher(table);
		while (row.find()) {
			if (PREFIXES.stream().anyMatch(row.group(1)::startsWith)) {
				// map properties are shown with their key:
				// outbox.relay.destinations.<destination>
				names.add(row.group(1).replaceAll("\\.$", ""));
			}
		}
		return names;
	}

	private static Set<String> declaredProperties() throws IOException {
		Set<String> names = new TreeSet<>();
		JsonMapper json = JsonMapper.builder().build();
		for (URL url : Collections.list(ReadmeConfigurationTableTests.class.getClassLoader()
			.getResources("META-INF/spring-configuration-metadata.json"))) {
			try (InputStream in = url.openStream()) {
				for (JsonNode property : json.readTree(in).path("properties")) {
					String name = property.path("name").asString();
					if (PREFIXES.stream().anyMatch(name::startsWith)) {
						names.add(name);
					}
				}
			}
		}
		return names;
	}

}
