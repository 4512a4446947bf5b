package dev.outbox.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.BeanWrapperImpl;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.core.io.ClassPathResource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The generated configuration metadata, as an IDE shows it: every {@code outbox.relay.*}
 * property that has a default shows it, and each shown default is the one the code uses.
 */
class ConfigurationMetadataTests {

	/** Properties without a default: unset means "derive it" or "none". */
	private static final Set<String> NO_DEFAULT = Set.of("outbox.relay.broker", "outbox.relay.destinations",
			"outbox.relay.instance-id", "outbox.relay.kafka.producer");

	@Test
	void everyRelayPropertyShowsItsDefault() throws IOException {
		List<String> missing = new ArrayList<>();
		for (JsonNode property : metadata().get("properties")) {
			String name = property.get("name").asString();
			if (name.startsWith("outbox.relay.") && !NO_DEFAULT.contains(name) && !property.has("defaultValue")) {
				missing.add(name);
			}
		}
		assertThat(missing).isEmpty();
	}

	@Test
	void shownDefaultsAreTheCodesDefaults() throws IOException {
		int checked = 0;
		for (JsonNode property : metadata().get("properties")) {
			if (!property.has("defaultValue") || !property.has("sourceType")
					|| !property.get("sourceType").asString().matches("dev\\.outbox\\..*Properties(\\$\\w+)?")) {
				continue;
			}
			String name = property.get("name").asString();
			Object actual = defaultOf(property.get("sourceType").asString(), name);
			Object shown = ApplicationConversionService.getSharedInstance()
				.convert(property.get("defaultValue").asString(), actual.getClass());
			assertThat(shown).as(name).isEqualTo(actual);
			checked++;
		}
		assertThat(checked).isGreaterThan(15);
	}

	private static Object defaultOf(String sourceType, String name) {
		try {
			Class<?> type = Class.forName(sourceType);
			// nested groups (outbox.relay.backoff) are bound on their own classes
			String leaf = name.substring(name.lastIndexOf('.') + 1);
			Object instance = newInstance(type);
			String camel = toCamel(leaf);
			Object value = new BeanWrapperImpl(instance).getPropertyValue(camel);
			assertThat(value).as(name).isNotNull();
			return value;
		}
		catch (ReflectiveOperationException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static Object newInstance(Class<?> type) throws ReflectiveOperationException {
		var constructor = type.getDeclaredConstructor();
		constructor.setAccessible(true);
		return constructor.newInstance();
	}

	private static String toCamel(String kebab) {
		StringBuilder camel = new StringBuilder();
		boolean upper = false;
		for (char c : kebab.toCharArray()) {
			if (c == '-') {
				upper = true;
			}
			else {
				camel.append(upper ? Character.toUpperCase(c) : c);
				upper = false;
			}
		}
		return camel.toString();
	}

	private static JsonNode metadata() throws IOException {
		try (InputStream in = new ClassPathResource("META-INF/spring-configuration-metadata.json").getInputStream()) {
			return JsonMapper.builder().build().readTree(in);
		}
	}

}
