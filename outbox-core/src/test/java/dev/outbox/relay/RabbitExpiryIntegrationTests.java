package dev.outbox.relay;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxHeaders;
import dev.outbox.admin.OutboxAdmin;
import dev.outbox.amqp.RabbitOutboxSender;
import dev.outbox.jdbc.JdbcOutbox;
import dev.outbox.spi.OutboxRelayListener;
import dev.outbox.test.TestRabbit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.FanoutExchange;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Events with an expiry, written by the real writer and relayed to a real RabbitMQ: an
 * event not sent by its expiry is never sent, marked EXPIRED, blocks no key and is
 * purged; a sent one carries the time left, so a queue dead-letters it when no consumer
 * takes it in time. On every database.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
class RabbitExpiryIntegrationTests {

	@Parameter
	String product;

	private RelayFixture fixture;

	private JdbcOutbox outbox;

	private TransactionTemplate transactions;

	private String exchange;

	private String queue;

	private String deadLetterExchange;

	private String deadLetterQueue;

	private CachingConnectionFactory connections;

	private RabbitAdmin admin;

	private RabbitTemplate receiver;

	private final List<OutboxRelayListener.ExpiredEvent> expired = new CopyOnWriteArrayList<>();

	private final List<OutboxRelay> relays = new ArrayList<>();

	@BeforeEach
	void setUp() {
		this.fixture = new RelayFixture(this.product);
		this.outbox = JdbcOutbox.builder(this.fixture.dataSource)
			.tables(this.fixture.tables)
			.partitions(RelayFixture.PARTITIONS)
			.notifyChannel(null)
			.build();
		this.transactions = new TransactionTemplate(new DataSourceTransactionManager(this.fixture.dataSource));
		String suffix = UUID.randomUUID().toString();
		this.exchange = "expiry-x-" + suffix;
		this.queue = "expiry-q-" + suffix;
		this.deadLetterExchange = "expiry-dlx-" + suffix;
		this.deadLetterQueue = "expiry-dlq-" + suffix;
		TestRabbit.Broker broker = TestRabbit.broker();
		this.connections = new CachingConnectionFactory(broker.host(), broker.port());
		this.connections.setUsername(broker.username());
		this.connections.setPassword(broker.password());
		this.connections.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
		this.connections.setPublisherReturns(true);
		this.admin = new RabbitAdmin(this.connections);
		DirectExchange directExchange = new DirectExchange(this.exchange, false, true);
		FanoutExchange deadLetters = new FanoutExchange(this.deadLetterExchange, false, true);
		Queue boundQueue = QueueBuilder.nonDurable(this.queue).deadLetterExchange(this.deadLetterExchange).build();
		Queue deadLetterQueue = new Queue(this.deadLetterQueue, false, false, false);
		this.admin.declareExchange(directExchange);
		this.admin.declareExchange(deadLetters);
		this.admin.declareQueue(boundQueue);
		this.admin.declareQueue(deadLetterQueue);
		this.admin.declareBinding(BindingBuilder.bind(boundQueue).to(directExchange).with("order-placed"));
		this.admin.declareBinding(BindingBuilder.bind(deadLetterQueue).to(deadLetters));
		this.receiver = new RabbitTemplate(this.connections);
	}

	@AfterEach
	void tearDown() {
		if (this.fixture == null) {
			return; // skipped before the fixture: a server this machine does not have
		}
		this.relays.forEach(OutboxRelay::stop);
		this.admin.deleteQueue(this.queue);
		this.admin.deleteQueue(this.deadLetterQueue);
		this.admin.deleteExchange(this.exchange);
		this.admin.deleteExchange(this.deadLetterExchange);
		this.connections.destroy();
		this.outbox.close();
		this.fixture.close();
	}

	private OutboxRelay relay(OutboxRelay.Builder builder) {
		OutboxRelay relay = builder.sender(new RabbitOutboxSender(new RabbitTemplate(this.connections)))
			.listener(new OutboxRelayListener() {

				@Override
				public void onExpired(ExpiredEvent event) {
					RabbitExpiryIntegrationTests.this.expired.add(event);
				}

			})
			.build();
		this.relays.add(relay);
		return relay;
	}

	private UUID publish(String key, String payload, Instant expiresAt) {
		return publish(OutboxEvent.builder(this.exchange)
			.aggregateId(key)
			.eventType("order-placed")
			.payload(payload)
			.expiresAt(expiresAt)
			.build());
	}

	private UUID publish(OutboxEvent event) {
		return this.transactions.execute((status) -> this.outbox.publish(event));
	}

	private List<Message> receive(String queue, int count) {
		List<Message> messages = new ArrayList<>();
		await().atMost(Duration.ofSeconds(30)).until(() -> {
			Message message;
			while ((message = this.receiver.receive(queue)) != null) {
				messages.add(message);
			}
			return messages.size() >= count;
		});
		return messages;
	}

	private boolean expiredByTheDatabaseClock(UUID id) {
		return Boolean.TRUE.equals(this.fixture.jdbc.queryForObject(
				"select expires_at <= " + this.fixture.nowPlusSeconds(0) + " from "
						+ this.fixture.tables.qualifiedEventTable() + " where id = ?",
				Boolean.class, this.fixture.id(id)));
	}

	@Test
	void eventExpiredWhileTheRelayWasStoppedIsNeverSentBlocksNoKeyAndIsPurged() {
		OutboxAdmin outboxAdmin = OutboxAdmin.builder(this.fixture.dataSource, this.fixture.tables).build();
		UUID late = publish("order-1", "late", Instant.now().plusMillis(300));
		UUID next = publish(OutboxEvent.builder(this.exchange)
			.aggregateId("order-1")
			.eventType("order-placed")
			.payload("next")
			.build());
		await().atMost(Duration.ofSeconds(10)).until(() -> expiredByTheDatabaseClock(late));
		OutboxRelay relay = relay(this.fixture.relay().retention(Duration.ofHours(1)));
		relay.start();
		Message message = receive(this.queue, 1).get(0);
		assertThat(message.getMessageProperties().getMessageId()).isEqualTo(next.toString());
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.status(next).equals("PUBLISHED"));
		assertThat(this.fixture.status(late)).isEqualTo("EXPIRED");
		assertThat(this.expired).singleElement().satisfies((event) -> {
			assertThat(event.id()).isEqualTo(late);
			assertThat(event.destination()).isEqualTo(this.exchange);
			assertThat(event.key()).isEqualTo("order-1");
		});
		assertThat(outboxAdmin.stats().expired()).isEqualTo(1);
		assertThat(outboxAdmin.stats().pending()).isZero();
		assertThat(this.receiver.receive(this.queue)).isNull();
		relay.stop();
		// purged like published rows, once past the retention (here: from its expiry)
		OutboxRelay purging = relay(this.fixture.relay().retention(Duration.ofMillis(1)));
		purging.purgeNow();
		assertThat(this.fixture.status(late)).isEqualTo("DELETED");
		assertThat(this.fixture.status(next)).isEqualTo("DELETED");
		assertThat(outboxAdmin.stats().expired()).isZero();
	}

	@Test
	void eventBackingOffAfterFailuresStopsBlockingItsKeyWhenItExpires() {
		OutboxRelay relay = relay(this.fixture.relay().maxAttempts(1000));
		relay.start();
		// no queue is bound for this routing key: RabbitMQ returns it, every attempt
		// fails
		UUID failing = publish(OutboxEvent.builder(this.exchange)
			.aggregateId("order-2")
			.eventType("order-placed")
			.routingKey("nowhere")
			.payload("unroutable")
			.expiresAt(Instant.now().plusSeconds(8))
			.build());
		UUID next = publish(OutboxEvent.builder(this.exchange)
			.aggregateId("order-2")
			.eventType("order-placed")
			.payload("next")
			.build());
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.count("attempts > 0") > 0);
		assertThat(this.fixture.status(next)).isEqualTo("PENDING");
		Message message = receive(this.queue, 1).get(0);
		assertThat(message.getMessageProperties().getMessageId()).isEqualTo(next.toString());
		assertThat(expiredByTheDatabaseClock(failing)).isTrue();
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.status(failing).equals("EXPIRED"));
		assertThat((int) this.fixture.row(failing).get("attempts")).isPositive();
		assertThat(this.expired).extracting(OutboxRelayListener.ExpiredEvent::id).containsExactly(failing);
	}

	@Test
	void sentMessageCarriesTheTimeLeftAsItsExpirationAndTheExpiryAsAHeader() {
		Instant expiresAt = Instant.now().plusSeconds(60).truncatedTo(ChronoUnit.MILLIS);
		relay(this.fixture.relay()).start();
		Instant beforePublish = Instant.now();
		UUID id = publish("order-3", "soon", expiresAt);
		Message message = receive(this.queue, 1).get(0);
		assertThat(message.getMessageProperties().getMessageId()).isEqualTo(id.toString());
		// the time left when it was sent, after it was published
		long expiration = Long.parseLong(message.getMessageProperties().getExpiration());
		assertThat(expiration).isPositive().isLessThanOrEqualTo(Duration.between(beforePublish, expiresAt).toMillis());
		Map<String, Object> headers = message.getMessageProperties().getHeaders();
		assertThat(headers).containsEntry(OutboxHeaders.EXPIRES_AT, expiresAt.toString());
	}

	@Test
	void messageNobodyConsumesInTimeIsDeadLetteredByTheQueue() {
		relay(this.fixture.relay()).start();
		// time enough for the relay to send it first, on a loaded machine too (else the
		// relay expires it itself, and nothing reaches the dead-letter queue)
		UUID id = publish("order-4", "unread", Instant.now().plusSeconds(8));
		List<Message> deadLettered = receive(this.deadLetterQueue, 1);
		assertThat(deadLettered).singleElement()
			.satisfies((message) -> assertThat(message.getMessageProperties().getMessageId()).isEqualTo(id.toString()));
		assertThat(this.receiver.receive(this.queue)).isNull();
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.status(id).equals("DELETED"));
	}

}
