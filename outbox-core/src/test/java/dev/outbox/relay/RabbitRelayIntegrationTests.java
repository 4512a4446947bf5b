package dev.outbox.relay;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import dev.outbox.OutboxHeaders;
import dev.outbox.amqp.RabbitOutboxSender;
import dev.outbox.test.TcpProxy;
import dev.outbox.test.TestRabbit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

/**
 * The relay against real RabbitMQ, on every database: delivery after a publisher confirm,
 * an unroutable message retried then parked, a broker outage without loss.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
class RabbitRelayIntegrationTests {

	@Parameter
	String product;

	private RelayFixture fixture;

	private String exchange;

	private String queue;

	private CachingConnectionFactory adminConnections;

	private RabbitAdmin admin;

	private RabbitTemplate receiver;

	private final List<CachingConnectionFactory> connectionFactories = new ArrayList<>();

	private final List<OutboxRelay> relays = new ArrayList<>();

	@BeforeEach
	void setUp() {
		this.fixture = new RelayFixture(this.product);
		String suffix = UUID.randomUUID().toString();
		this.exchange = "relay-x-" + suffix;
		this.queue = "relay-q-" + suffix;
		TestRabbit.Broker broker = TestRabbit.broker();
		this.adminConnections = new CachingConnectionFactory(broker.host(), broker.port());
		this.adminConnections.setUsername(broker.username());
		this.adminConnections.setPassword(broker.password());
		this.admin = new RabbitAdmin(this.adminConnections);
		DirectExchange directExchange = new DirectExchange(this.exchange, false, true);
		Queue boundQueue = new Queue(this.queue, false, false, true);
		this.admin.declareExchange(directExchange);
		this.admin.declareQueue(boundQueue);
		this.admin.declareBinding(BindingBuilder.bind(boundQueue).to(directExchange).with("order-placed"));
		this.receiver = new RabbitTemplate(this.adminConnections);
	}

	@AfterEach
	void tearDown() {
		if (this.fixture == null) {
			return; // skipped before the fixture: a server this machine does not have
		}
		this.relays.forEach(OutboxRelay::stop);
		this.admin.deleteQueue(this.queue);
		this.admin.deleteExchange(this.exchange);
		this.connectionFactories.forEach(CachingConnectionFactory::destroy);
		this.adminConnections.destroy();
		this.fixture.close();
	}

	private RabbitOutboxSender sender(int port) {
		TestRabbit.Broker broker = TestRabbit.broker();
		CachingConnectionFactory connectionFactory = new CachingConnectionFactory(broker.host(), port);
		connectionFactory.setUsername(broker.username());
		connectionFactory.setPassword(broker.password());
		connectionFactory.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.CORRELATED);
		connectionFactory.setPublisherReturns(true);
		connectionFactory.setConnectionTimeout(1000);
		this.connectionFactories.add(connectionFactory);
		return new RabbitOutboxSender(new RabbitTemplate(connectionFactory));
	}

	private OutboxRelay started(OutboxRelay.Builder builder) {
		OutboxRelay relay = builder.build();
		this.relays.add(relay);
		relay.start();
		return relay;
	}

	private List<Message> receive(int count) {
		List<Message> messages = new ArrayList<>();
		await().atMost(Duration.ofSeconds(30)).until(() -> {
			Message message;
			while ((message = this.receiver.receive(this.queue)) != null) {
				messages.add(message);
			}
			return messages.size() >= count;
		});
		return messages;
	}

	@Test
	void deliversToTheExchangeWithMessageIdAndHeadersAfterAConfirm() {
		started(this.fixture.relay().sender(sender(TestRabbit.broker().port())));
		UUID id = this.fixture.insert(this.exchange, "order-7", "{\"total\":7}");
		Message message = receive(1).get(0);
		assertThat(new String(message.getBody(), StandardCharsets.UTF_8)).isEqualTo("{\"total\":7}");
		assertThat(message.getMessageProperties().getMessageId()).isEqualTo(id.toString());
		assertThat(message.getMessageProperties().getContentType()).isEqualTo("application/json");
		Map<String, Object> headers = message.getMessageProperties().getHeaders();
		assertThat(headers).containsEntry(OutboxHeaders.MESSAGE_ID, id.toString())
			.containsEntry(OutboxHeaders.EVENT_TYPE, "order-placed")
			.containsEntry(OutboxHeaders.AGGREGATE_ID, "order-7")
			.containsKey(OutboxHeaders.TRACEPARENT);
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.status(id).equals("DELETED"));
	}

	@Test
	void unroutableMessageIsRetriedThenParkedNotLost() {
		String unbound = "relay-unbound-" + UUID.randomUUID();
		this.admin.declareExchange(new DirectExchange(unbound, false, true));
		try {
			started(this.fixture.relay().sender(sender(TestRabbit.broker().port())).maxAttempts(3));
			UUID id = this.fixture.insert(unbound, "order-u", "{}");
			await().atMost(Duration.ofSeconds(20)).until(() -> this.fixture.status(id).equals("PARKED"));
			Map<String, Object> row = this.fixture.row(id);
			assertThat(row.get("attempts")).isEqualTo(3);
			assertThat((String) row.get("last_error")).contains("unroutable").contains("NO_ROUTE");
			assertThat(row.get("payload")).isNotNull();
		}
		finally {
			this.admin.deleteExchange(unbound);
		}
	}

	@Test
	void brokerUnavailableThenBackLosesNothing() throws Exception {
		TestRabbit.Broker broker = TestRabbit.broker();
		try (TcpProxy proxy = new TcpProxy(broker.host(), broker.port())) {
			started(this.fixture.relay()
				.sender(sender(proxy.port()))
				.sendTimeout(Duration.ofSeconds(2))
				.leaseDuration(Duration.ofSeconds(6))
				.maxAttempts(100));
			Set<String> expected = new HashSet<>();
			for (int i = 0; i < 10; i++) {
				expected.add(this.fixture.insert(this.exchange, "key-" + i, "before-" + i).toString());
			}
			List<Message> received = new ArrayList<>(receive(10));
			// their confirms are back too: a cut before the last one arrives would
			// count an attempt for its event
			await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.count("true") == 0);
			proxy.cut();
			for (int i = 0; i < 20; i++) {
				expected.add(this.fixture.insert(this.exchange, "key-" + i, "during-" + i).toString());
			}
			await().atMost(Duration.ofSeconds(20)).until(() -> this.fixture.count("attempts > 0") > 0);
			assertThat(this.fixture.count("status = 'PENDING'")).isEqualTo(20);
			proxy.restore();
			await().atMost(Duration.ofSeconds(30)).until(() -> this.fixture.count("true") == 0);
			received.addAll(receive(0));
			Set<String> ids = new HashSet<>();
			received.forEach((m) -> ids.add(m.getMessageProperties().getMessageId()));
			Message message;
			while ((message = this.receiver.receive(this.queue)) != null) {
				ids.add(message.getMessageProperties().getMessageId());
			}
			assertThat(ids).containsAll(expected);
		}
	}

	@Test
	void senderRefusesAConnectionFactoryWithoutConfirms() {
		assertThatIllegalArgumentException().isThrownBy(() -> new RabbitOutboxSender(this.receiver))
			.withMessageContaining("publisher confirms");
	}

}
