package dev.outbox.amqp;

import java.net.SocketException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

import com.rabbitmq.client.ShutdownSignalException;
import dev.outbox.CloudEvents;
import dev.outbox.MessageFormat;
import dev.outbox.OutboxHeaders;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.amqp.AmqpConnectException;
import org.springframework.amqp.AmqpTimeoutException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.core.ReturnedMessage;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

/**
 * Sends outbox messages to RabbitMQ: the destination is the exchange, the routing key the
 * event's ({@link OutboxMessage#effectiveRoutingKey()}), the message id property the
 * outbox message id; the message is persistent and carries the {@link OutboxHeaders} and
 * the event's own headers. A message of an event that expires has the time left when it
 * is sent as its {@code expiration} property (milliseconds, zero if none is left), so a
 * queue drops it, to its dead-letter exchange if it has one, when no consumer takes it in
 * time; and its expiry in {@link OutboxHeaders#EXPIRES_AT}.
 * <p>
 * With {@link MessageFormat#CLOUDEVENTS} the message is also a CloudEvent in the binary
 * content mode of the CloudEvents AMQP protocol binding 1.0.x: the attributes are
 * application headers with the JMS-compatible prefix {@code cloudEvents_}
 * ({@code cloudEvents_id}, {@code _type}, {@code _source}, {@code _time} as an RFC 3339
 * string, {@code _specversion}, {@code _subject}, and {@code _expiresat} for an event
 * that expires; see {@link CloudEvents}) and the {@code content_type} property is the
 * {@code datacontenttype}. Written here rather than with the CloudEvents SDK, which binds
 * AMQP 1.0 (Proton) messages, not Spring AMQP's AMQP 0-9-1 ones.
 * <p>
 * A future completes only on a positive publisher confirm for a message that was routed:
 * a nack, a return (unroutable: no queue bound) or a lost channel fails it. The messages
 * of one exchange in a batch are published on one channel, so messages of one key keep
 * their order, and a channel error one exchange causes fails no other exchange's
 * messages. The template's connection factory must have correlated publisher confirms and
 * publisher returns enabled; the template is set to {@code mandatory}. Give its RabbitMQ
 * client a channel RPC timeout of about the relay's send timeout: opening a channel on a
 * connection to a broker that hangs otherwise blocks the relay for the client's default
 * of 10 minutes.
 * <p>
 * It does not {@linkplain #keepsKeyOrderInFlight() keep key order in flight}: confirms on
 * one channel arrive in publish order, but a nack for a message (for example from a full
 * queue declared with {@code x-overflow=reject-publish}) can come after the next message
 * of its key was already routed to the queues, so the relay sends the next event of a key
 * only once the one before it was confirmed.
 */
public final class RabbitOutboxSender implements OutboxSender {

	/** The name destinations refer to: {@value}. */
	public static final String NAME = "rabbit";

	private static final Log logger = LogFactory.getLog(RabbitOutboxSender.class);

	private static final int MAX_ADVISED_CHANNEL_RPC_TIMEOUT = 60_000;

	/** How long the answer of a passive exchange check is kept. */
	private static final Duration EXCHANGE_CHECK_EXPIRY = Duration.ofSeconds(5);

	private final RabbitTemplate template;

	private final ExchangeChecks exchanges = new ExchangeChecks(EXCHANGE_CHECK_EXPIRY, System::nanoTime);

	private final @Nullable URI cloudEventsSource;

	private Clock clock = Clock.systemUTC();

	/**
	 * Create a sender of the {@link MessageFormat#OUTBOX outbox format}.
	 * @param template a template on a connection factory with
	 * {@code ConfirmType.CORRELATED} publisher confirms and publisher returns
	 * @throws IllegalArgumentException if confirms or returns are not enabled
	 */
	public RabbitOutboxSender(RabbitTemplate template) {
		this(template, MessageFormat.OUTBOX, CloudEvents.DEFAULT_SOURCE);
	}

	/**
	 * Create a sender of the given format.
	 * @param template a template on a connection factory with
	 * {@code ConfirmType.CORRELATED} publisher confirms and publisher returns
	 * @param format the message format
	 * @param cloudEventsSource the CloudEvents {@code source} attribute (a non-empty
	 * URI-reference), used with {@link MessageFormat#CLOUDEVENTS}
	 * @throws IllegalArgumentException if confirms or returns are not enabled, or the
	 * source is empty
	 */
	public RabbitOutboxSender(RabbitTemplate template, MessageFormat format, URI cloudEventsSource) {
		this.cloudEventsSource = (format == MessageFormat.CLOUDEVENTS) ? CloudEvents.checkSource(cloudEventsSource)
				: null;
		ConnectionFactory connectionFactory = template.getConnectionFactory();
		if (!connectionFactory.isPublisherConfirms() || !connectionFactory.isPublisherReturns()) {
			throw new IllegalArgumentException(
					"The outbox RabbitMQ sender needs a connection factory with correlated publisher confirms and publisher returns (CachingConnectionFactory.setPublisherConfirmType(ConfirmType.CORRELATED), setPublisherReturns(true)), so that an unconfirmed or unroutable message is never taken as delivered");
		}
		template.setMandatory(true);
		this.template = template;
		if (connectionFactory instanceof CachingConnectionFactory caching
				&& caching.getRabbitConnectionFactory().getChannelRpcTimeout() > MAX_ADVISED_CHANNEL_RPC_TIMEOUT) {
			logger.warn("The outbox RabbitMQ sender's connection factory has a channel RPC timeout of "
					+ caching.getRabbitConnectionFactory().getChannelRpcTimeout()
					+ " ms: a broker that hangs blocks the relay that long when it opens a channel. Set"
					+ " getRabbitConnectionFactory().setChannelRpcTimeout(..) to about the relay's send timeout"
					+ " (the Spring Boot starter does)");
		}
	}

	@Override
	public String name() {
		return NAME;
	}

	@Override
	public CompletableFuture<Void> send(OutboxMessage message) {
		return sendAll(List.of(message)).get(0);
	}

	/**
	 * Send a batch: the messages of each exchange on a channel of their own, so that a
	 * channel error one exchange causes (it does not exist, access refused) fails only
	 * that exchange's messages. An exchange is checked passively before it is published
	 * to, and the answer is kept for a few seconds: the messages to an exchange that does
	 * not exist fail at once, without a publish that would close a channel. A failure to
	 * reach the broker at all (connection refused, a channel open timing out) fails the
	 * rest of the batch at once instead of blocking once per exchange.
	 */
	@Override
	public List<CompletableFuture<Void>> sendAll(List<OutboxMessage> messages) {
		Map<String, List<Integer>> byExchange = new LinkedHashMap<>();
		for (int i = 0; i < messages.size(); i++) {
			byExchange.computeIfAbsent(messages.get(i).destination(), (exchange) -> new ArrayList<>()).add(i);
		}
		List<@Nullable CompletableFuture<Void>> futures = new ArrayList<>(Collections.nCopies(messages.size(), null));
		RuntimeException unreachable = null;
		for (Map.Entry<String, List<Integer>> group : byExchange.entrySet()) {
			List<OutboxMessage> toSend = group.getValue().stream().map(messages::get).toList();
			List<CompletableFuture<Void>> sent = new ArrayList<>(toSend.size());
			if (unreachable == null) {
				RuntimeException failure = publish(group.getKey(), toSend, sent);
				if (failure != null && isBrokerUnreachable(failure)) {
					unreachable = failure;
				}
			}
			// after an unreachable broker, the other exchanges' messages fail with it
			while (sent.size() < toSend.size()) {
				sent.add(CompletableFuture.failedFuture(Objects.requireNonNull(unreachable)));
			}
			for (int j = 0; j < sent.size(); j++) {
				futures.set(group.getValue().get(j), sent.get(j));
			}
		}
		return futures.stream().map(Objects::requireNonNull).toList();
	}

	/**
	 * Publish the messages of one exchange on one channel, adding their futures.
	 * @return the failure that kept some of them from being handed to the broker, if any
	 */
	private @Nullable RuntimeException publish(String exchange, List<OutboxMessage> messages,
			List<CompletableFuture<Void>> futures) {
		RuntimeException missing = this.exchanges.missing(exchange);
		if (missing != null) {
			messages.forEach((message) -> futures.add(CompletableFuture.failedFuture(missing)));
			return null;
		}
		try {
			this.template.invoke((operations) -> {
				if (this.exchanges.needsCheck(exchange)) {
					operations.execute((channel) -> channel.exchangeDeclarePassive(exchange));
					this.exchanges.found(exchange);
				}
				for (OutboxMessage message : messages) {
					CorrelationData correlation = new CorrelationData(message.id().toString());
					CompletableFuture<Void> future = correlation.getFuture().thenApply((confirm) -> {
						if (!confirm.ack()) {
							// the exchange may be gone: check it before the next publish
							this.exchanges.forget(exchange);
							throw new IllegalStateException("RabbitMQ nacked the message to exchange '"
									+ message.destination() + "': " + confirm.reason());
						}
						ReturnedMessage returned = correlation.getReturned();
						if (returned != null) {
							throw new IllegalStateException("RabbitMQ returned the message as unroutable: exchange '"
									+ returned.getExchange() + "', routing key '" + returned.getRoutingKey() + "': "
									+ returned.getReplyCode() + " " + returned.getReplyText());
						}
						return null;
					});
					operations.send(message.destination(), message.effectiveRoutingKey(), toMessage(message),
							correlation);
					futures.add(future);
				}
				return null;
			});
			return null;
		}
		catch (RuntimeException ex) {
			RuntimeException failure = this.exchanges.notFound(exchange, ex);
			while (futures.size() < messages.size()) {
				futures.add(CompletableFuture.failedFuture(failure));
			}
			return failure;
		}
	}

	/**
	 * Whether a failure is the broker's as a whole (it cannot be reached, or it does not
	 * answer), not a channel error of one exchange.
	 */
	private static boolean isBrokerUnreachable(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = (cause.getCause() != cause) ? cause.getCause() : null) {
			if (cause instanceof AmqpConnectException || cause instanceof AmqpTimeoutException
					|| cause instanceof TimeoutException || cause instanceof SocketException
					|| (cause instanceof ShutdownSignalException signal && signal.isHardError())) {
				return true;
			}
		}
		return false;
	}

	Message toMessage(OutboxMessage message) {
		MessageProperties properties = new MessageProperties();
		properties.setMessageId(message.id().toString());
		properties.setContentType(message.contentType());
		properties.setDeliveryMode(MessageDeliveryMode.PERSISTENT);
		properties.setType(message.eventType());
		properties.setTimestamp(Date.from(message.createdAt()));
		for (Map.Entry<String, String> header : message.headers().entrySet()) {
			properties.setHeader(header.getKey(), header.getValue());
		}
		properties.setHeader(OutboxHeaders.MESSAGE_ID, message.id().toString());
		properties.setHeader(OutboxHeaders.EVENT_TYPE, message.eventType());
		properties.setHeader(OutboxHeaders.AGGREGATE_TYPE, message.aggregateType());
		properties.setHeader(OutboxHeaders.AGGREGATE_ID, message.aggregateId());
		properties.setHeader(OutboxHeaders.CREATED_AT, message.createdAt().toString());
		Instant expiresAt = message.expiresAt();
		if (expiresAt != null) {
			// the time left when sent, so a queue drops the message when no consumer
			// takes it in time (to its dead-letter exchange, if it has one)
			long left = Duration.between(this.clock.instant(), expiresAt).toMillis();
			properties.setExpiration(Long.toString(Math.max(0, left)));
			properties.setHeader(OutboxHeaders.EXPIRES_AT, expiresAt.toString());
		}
		if (this.cloudEventsSource != null) {
			// the content_type property above is the datacontenttype
			properties.setHeader(CloudEvents.AMQP_PREFIX + "specversion", CloudEvents.SPEC_VERSION);
			properties.setHeader(CloudEvents.AMQP_ID, message.id().toString());
			properties.setHeader(CloudEvents.AMQP_PREFIX + "type", message.eventType());
			properties.setHeader(CloudEvents.AMQP_PREFIX + "source", this.cloudEventsSource.toString());
			properties.setHeader(CloudEvents.AMQP_PREFIX + "subject", message.aggregateId());
			properties.setHeader(CloudEvents.AMQP_PREFIX + "time", CloudEvents.time(message.createdAt()));
			if (expiresAt != null) {
				properties.setHeader(CloudEvents.AMQP_PREFIX + CloudEvents.EXPIRES_AT_EXTENSION,
						CloudEvents.time(expiresAt));
			}
		}
		return new Message(message.payload(), properties);
	}

	/**
	 * Use the given clock for the time left of expiring messages (for tests).
	 */
	void clock(Clock clock) {
		this.clock = clock;
	}

}
