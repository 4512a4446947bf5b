package dev.outbox.test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import com.zaxxer.hikari.HikariDataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Proves the harness reaches each real service with a round trip through it.
 */
class RealServicesIntegrationTests {

	@Test
	void postgresRoundTripInAFreshSchema() throws Exception {
		TestPostgres.Database database = TestPostgres.newSchema();
		try (HikariDataSource dataSource = database.dataSource()) {
			try (Connection connection = dataSource.getConnection();
					Statement statement = connection.createStatement()) {
				statement.execute("create table probe (id int primary key, name text)");
				statement.execute("insert into probe values (1, 'written')");
				try (ResultSet rs = statement.executeQuery("select current_schema(), name from probe where id = 1")) {
					assertThat(rs.next()).isTrue();
					assertThat(rs.getString(1)).isEqualTo(database.schema());
					assertThat(rs.getString(2)).isEqualTo("written");
				}
			}
			database.drop(dataSource);
		}
	}

	@Test
	void rabbitRoundTripWithPublisherConfirm() throws Exception {
		try (com.rabbitmq.client.Connection connection = TestRabbit.broker().connectionFactory().newConnection();
				Channel channel = connection.createChannel()) {
			String queue = channel.queueDeclare("", false, true, true, Map.of()).getQueue();
			channel.confirmSelect();
			String body = "probe-" + UUID.randomUUID();
			channel.basicPublish("", queue, true, null, body.getBytes(StandardCharsets.UTF_8));
			assertThat(channel.waitForConfirms(5000)).isTrue();
			GetResponse response = channel.basicGet(queue, true);
			assertThat(response).isNotNull();
			assertThat(new String(response.getBody(), StandardCharsets.UTF_8)).isEqualTo(body);
		}
	}

	@Test
	void kafkaRoundTripWithAcksAll() throws Exception {
		String topic = "probe-" + UUID.randomUUID();
		String value = "value-" + UUID.randomUUID();
		Map<String, Object> producerConfig = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
				TestKafka.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all",
				ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
		try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig, new StringSerializer(),
				new StringSerializer())) {
			producer.send(new ProducerRecord<>(topic, "key", value)).get();
		}
		Map<String, Object> consumerConfig = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
				TestKafka.bootstrapServers(), ConsumerConfig.GROUP_ID_CONFIG, "probe-" + UUID.randomUUID(),
				ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
		try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(),
				new StringDeserializer())) {
			consumer.subscribe(List.of(topic));
			long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
			String received = null;
			while (received == null && System.nanoTime() < deadline) {
				ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
				if (!records.isEmpty()) {
					received = records.iterator().next().value();
				}
			}
			assertThat(received).isEqualTo(value);
		}
	}

}
