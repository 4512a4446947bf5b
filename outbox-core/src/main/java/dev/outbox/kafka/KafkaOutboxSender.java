package dev.outbox.kafka;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import dev.outbox.CloudEvents;
import dev.outbox.MessageFormat;
import dev.outbox.OutboxHeaders;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.jspecify.annotations.Nullable;

import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.messaging.MessageHeaders;
import org.springframework.util.ClassUtils;

/**
 * Sends outbox messages to Kafka: the destination is the topic, the message key the
 * record key (so one key lands on one Kafka partition, in order), the payload the value.
 * The record carries the {@link OutboxHeaders} (message id, event type, aggregate,
 * creation time), the content type and the event's own headers (such as the trace
 * context).
 * <p>
 * With {@link MessageFormat#CLOUDEVENTS} the record is also a CloudEvent in the binary
 * content mode of the CloudEvents Kafka protocol binding ({@code ce_id}, {@code ce_type},
 * {@code ce_source}, {@code ce_time}, {@code ce_specversion}, {@code ce_subject},
 * {@code content-type}; see {@link CloudEvents}), written with the CloudEvents SDK
 * ({@code io.cloudevents:cloudevents-kafka} must be on the classpath); the outbox headers
 * stay, an event header of the same name as a CloudEvents one is left out.
 * <p>
 * The template's producer must be configured for durable, ordered delivery:
 * {@code acks=all} and {@code enable.idempotence=true} (the auto-configuration builds
 * such a producer); a future completes only when the broker acknowledged the record.
 */
public final class KafkaOutboxSender implements OutboxSender {

	/** The name destinations refer to: {@value}. */
	public static final String NAME = "kafka";

	private static final Set<String> RESERVED = Set.of(OutboxHeaders.MESSAGE_ID, OutboxHeaders.EVENT_TYPE,
			OutboxHeaders.AGGREGATE_TYPE, OutboxHeaders.AGGREGATE_ID, OutboxHeaders.CREATED_AT,
			MessageHeaders.CONTENT_TYPE);

	private static final String CLOUDEVENTS_SDK = "io.cloudevents.kafka.KafkaMessageFactory";

	private final KafkaTemplate<String, byte[]> template;

	private final @Nullable KafkaCloudEvents cloudEvents;

	/**
	 * Create a sender of the {@link MessageFormat#OUTBOX outbox format}.
	 * @param template a template whose producer uses {@code acks=all} and idempotence,
	 * with a {@code String} key and {@code byte[]} value serializer
	 */
	public KafkaOutboxSender(KafkaTemplate<String, byte[]> template) {
		this(template, MessageFormat.OUTBOX, CloudEvents.DEFAULT_SOURCE);
	}

	/**
	 * Create a sender of the given format.
	 * @param template a template whose producer uses {@code acks=all} and idempotence,
	 * with a {@code String} key and {@code byte[]} value serializer
	 * @param format the message format
	 * @param cloudEventsSource the CloudEvents {@code source} attribute (a non-empty
	 * URI-reference), used with {@link MessageFormat#CLOUDEVENTS}
	 * @throws IllegalStateException if the format is CloudEvents and the CloudEvents SDK
	 * for Kafka is not on the classpath
	 */
	public KafkaOutboxSender(KafkaTemplate<String, byte[]> template, MessageFormat format, URI cloudEventsSource) {
		this.template = template;
		this.cloudEvents = (format == MessageFormat.CLOUDEVENTS) ? cloudEvents(cloudEventsSource) : null;
	}

	private static KafkaCloudEvents cloudEvents(URI source) {
		if (!ClassUtils.isPresent(CLOUDEVENTS_SDK, KafkaOutboxSender.class.getClassLoader())) {
			throw new IllegalStateException(
					"The CloudEvents message format for Kafka needs the CloudEvents SDK: add io.cloudevents:cloudevents-kafka to the dependencies");
		}
		return new KafkaCloudEvents(source);
	}

	@Override
	public String name() {
		return NAME;
	}

	@Override
	public CompletableFuture<Void> send(OutboxMessage message) {
		CompletableFuture<Void> future = sendOne(message);
		this.template.flush();
		return future;
	}

	/**
	 * Send a batch and flush once. A send that timed out inside the producer before it
	 * returned (it waited {@code max.block.ms} for the topic's metadata or for buffer
	 * space: the broker is unreachable) is not repeated for the rest of the batch's
	 * messages to that topic: they fail at once instead of blocking the caller once each.
	 */
	@Override
	public List<CompletableFuture<Void>> sendAll(List<OutboxMessage> messages) {
		List<CompletableFuture<Void>> futures = new ArrayList<>(messages.size());
		Map<String, Throwable> blockedTopics = new HashMap<>();
		for (OutboxMessage message : messages) {
			Throwable blocked = blockedTopics.get(message.destination());
			if (blocked != null) {
				futures.add(CompletableFuture.failedFuture(new KafkaException("Not sent: an earlier send to topic '"
						+ message.destination() + "' of the same batch timed out in the producer", blocked)));
				continue;
			}
			CompletableFuture<Void> future = sendOne(message);
			Throwable timeout = timedOutInProducer(future);
			if (timeout != null) {
				blockedTopics.put(message.destination(), timeout);
			}
			futures.add(future);
		}
		this.template.flush();
		return futures;
	}

	/**
	 * The producer's {@link TimeoutException} if the future already failed with one when
	 * {@code send} returned: only a send that blocked for {@code max.block.ms} fails that
	 * early with a timeout (a delivery timeout fails the future later, from the
	 * producer's I/O thread).
	 */
	private static @Nullable Throwable timedOutInProducer(CompletableFuture<Void> future) {
		if (!future.isCompletedExceptionally()) {
			return null;
		}
		try {
			future.getNow(null);
			return null;
		}
		catch (CompletionException | CancellationException ex) {
			for (Throwable cause = ex; cause != null; cause = (cause.getCause() != cause) ? cause.getCause() : null) {
				if (cause instanceof TimeoutException) {
					return cause;
				}
			}
			return null;
		}
	}

	private CompletableFuture<Void> sendOne(OutboxMessage message) {
		try {
			return this.template.send(record(message)).thenApply((result) -> null);
		}
		catch (RuntimeException ex) {
			return CompletableFuture.failedFuture(ex);
		}
	}

	ProducerRecord<String, byte[]> record(OutboxMessage message) {
		RecordHeaders headers = new RecordHeaders();
		for (Map.Entry<String, String> header : message.headers().entrySet()) {
			if (!RESERVED.contains(header.getKey())
					&& (this.cloudEvents == null || !KafkaCloudEvents.HEADERS.contains(header.getKey()))) {
				headers.add(header.getKey(), bytes(header.getValue()));
			}
		}
		headers.add(OutboxHeaders.MESSAGE_ID, bytes(message.id().toString()));
		headers.add(OutboxHeaders.EVENT_TYPE, bytes(message.eventType()));
		headers.add(OutboxHeaders.AGGREGATE_TYPE, bytes(message.aggregateType()));
		headers.add(OutboxHeaders.AGGREGATE_ID, bytes(message.aggregateId()));
		headers.add(OutboxHeaders.CREATED_AT, bytes(message.createdAt().toString()));
		headers.add(MessageHeaders.CONTENT_TYPE, bytes(message.contentType()));
		if (this.cloudEvents != null) {
			return this.cloudEvents.record(message, headers);
		}
		return new ProducerRecord<>(message.destination(), null, message.key(), message.payload(), headers);
	}

	private static byte[] bytes(String value) {
		return value.getBytes(StandardCharsets.UTF_8);
	}

}
