package dev.outbox.autoconfigure.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link OutboxProperties} and its configuration metadata.
 */
class OutboxPropertiesTests {

	@Test
	void documentedDefaultsAreTheActualDefaults() throws IOException {
		Map<String, String> documented = new HashMap<>();
		try (InputStream metadata = getClass()
			.getResourceAsStream("/META-INF/additional-spring-configuration-metadata.json")) {
			for (JsonNode property : JsonMapper.builder().build().readTree(metadata).get("properties")) {
				documented.put(property.get("name").asString(), property.get("defaultValue").asString());
			}
		}
		OutboxProperties properties = new OutboxProperties();
		assertThat(documented).containsEntry("outbox.table", properties.getTable())
			.containsEntry("outbox.processed-table", properties.getProcessedTable())
			.containsEntry("outbox.partitions", String.valueOf(properties.getPartitions()))
			.containsEntry("outbox.notify-channel", properties.getNotifyChannel());
		assertThat(DataSize.parse(documented.get("outbox.max-payload-size"))).isEqualTo(properties.getMaxPayloadSize());
		assertThat(documented).containsEntry("outbox.max-headers", String.valueOf(properties.getMaxHeaders()));
		assertThat(DataSize.parse(documented.get("outbox.max-header-size"))).isEqualTo(properties.getMaxHeaderSize());
	}

}
