package dev.outbox.relay;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

import dev.outbox.CloudEvents;
import dev.outbox.MessageFormat;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxHeaders;
import dev.outbox.jdbc.JdbcOutbox;
import dev.outbox.kafka.KafkaOutboxSender;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Events with an expiry, written by the real writer and relayed to a real Kafka broker:
 * the record carries the expiry in a header; an event that expired before it was sent
 * never reaches the topic, and the next event of its key does. On every database.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
class KafkaExpiryIntegrationTests extends KafkaRelayTests {

	@Parameter
	String product;

	private JdbcOutbox outbox;

	private TransactionTemplate transactions;

	KafkaExpiryIntegrationTests() {
		super("expiry-");
	}

	@Override
	String product() {
		return this.product;
	}

	@BeforeEach
	void setUpWriter() {
		this.outbox = JdbcOutbox.builder(this.fixture.dataSource)
			.tables(this.fixture.tables)
			.partitions(RelayFixture.PARTITIONS)
			.notifyChannel(null)
			.build();
		this.transactions = new TransactionTemplate(new DataSourceTransactionManager(this.fixture.dataSource));
	}

	@AfterEach
	void closeWriter() {
		if (this.outbox != null) {
			this.outbox.close();
		}
	}

	private UUID publish(String key, String payload, Instant expiresAt) {
		OutboxEvent.Builder event = OutboxEvent.builder(this.topic).aggregateId(key).payload(payload);
		if (expiresAt != null) {
			event.expiresAt(expiresAt);
		}
		return this.transactions.execute((status) -> this.outbox.publish(event.build()));
	}

	@Test
	void recordCarriesTheExpiryAsAnIsoInstantHeader() {
		Instant expiresAt = Instant.now().plus(Duration.ofMinutes(5)).truncatedTo(ChronoUnit.MILLIS);
		started(this.fixture.relay().sender(new KafkaOutboxSender(this.template)));
		UUID id = publish("order-1", "expiring", expiresAt);
		UUID lasting = publish("order-2", "lasting", null);
		List<ConsumerRecord<String, byte[]>> records = this.client.awaitRecords(2);
		ConsumerRecord<String, byte[]> expiring = records.stream()
			.filter((r) -> KafkaTestClient.header(r, OutboxHeaders.MESSAGE_ID).equals(id.toString()))
			.findFirst()
			.orElseThrow();
		assertThat(KafkaTestClient.header(expiring, OutboxHeaders.EXPIRES_AT)).isEqualTo(expiresAt.toString());
		ConsumerRecord<String, byte[]> other = records.stream()
			.filter((r) -> KafkaTestClient.header(r, OutboxHeaders.MESSAGE_ID).equals(lasting.toString()))
			.findFirst()
			.orElseThrow();
		assertThat(other.headers().lastHeader(OutboxHeaders.EXPIRES_AT)).isNull();
	}

	@Test
	void cloudEventRecordCarriesTheExpiryAsAnExtension() {
		Instant expiresAt = Instant.now().plus(Duration.ofMinutes(5)).truncatedTo(ChronoUnit.MILLIS);
		started(this.fixture.relay()
			.sender(new KafkaOutboxSender(this.template, MessageFormat.CLOUDEVENTS, URI.create("/orders"))));
		publish("order-1", "expiring", expiresAt);
		ConsumerRecord<String, byte[]> record = this.client.awaitRecords(1).get(0);
		String extension = KafkaTestClient.header(record, CloudEvents.KAFKA_PREFIX + CloudEvents.EXPIRES_AT_EXTENSION);
		assertThat(OffsetDateTime.parse(extension).toInstant()).isEqualTo(expiresAt);
		assertThat(KafkaTestClient.header(record, OutboxHeaders.EXPIRES_AT)).isEqualTo(expiresAt.toString());
	}

	@Test
	void eventThatExpiredBeforeTheRelayStartedNeverReachesTheTopicAndTheNextOfItsKeyDoes() {
		UUID late = publish("order-3", "late", Instant.now().plusMillis(300));
		UUID next = publish("order-3", "next", null);
		await().atMost(Duration.ofSeconds(10))
			.until(() -> Boolean.TRUE.equals(this.fixture.jdbc.queryForObject(
					"select expires_at <= " + this.fixture.nowPlusSeconds(0) + " from "
							+ this.fixture.tables.qualifiedEventTable() + " where id = ?",
					Boolean.class, this.fixture.id(late))));
		started(this.fixture.relay().sender(new KafkaOutboxSender(this.template)));
		ConsumerRecord<String, byte[]> record = this.client.awaitRecords(1).get(0);
		assertThat(KafkaTestClient.header(record, OutboxHeaders.MESSAGE_ID)).isEqualTo(next.toString());
		assertThat(this.fixture.status(late)).isEqualTo("EXPIRED");
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.status(next).equals("DELETED"));
		assertThat(this.client.poll()).hasSize(1);
	}

}
