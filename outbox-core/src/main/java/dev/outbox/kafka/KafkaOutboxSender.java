package dev.outbox.kafka;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.outbox.CloudEvents;
import dev.outbox.MessageFormat;
import dev.outbox.OutboxHeaders;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
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
 * creation time, and the expiry of an event that has one in
 * {@link OutboxHeaders#EXPIRES_AT}), the content type and the event's own headers (such
 * as the trace context). Kafka itself drops no record for it: consumers may.
 * <p>
 * With {@link MessageFormat#CLOUDEVENTS} the record is also a CloudEvent in the binary
 * content mode of the CloudEvents Kafka protocol binding ({@code ce_id}, {@code ce_type},
 * {@code ce_source}, {@code ce_time}, {@code ce_specversion}, {@code ce_subject},
 * {@code content-type}, and {@code ce_expiresat} for an event that expires; see
 * {@link CloudEvents}), written with the CloudEvents SDK
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
			OutboxHeaders.EXPIRES_AT, MessageHeaders.CONTENT_TYPE);

	private static final String CLOUDEVENTS_SDK = "io.cloudevents.kafka.KafkaMessageFactory";

	private final KafkaTemplate<String, byte[]> template;

	/** Topics the producer sent to without waiting out {@code max.block.ms}. */
	private final Set<String> ready = ConcurrentHashMap.newKeySet();

	/**
	 * Per topic not ready, the last send task on a thread of the sender's: a topic's
	 * sends run one after the other.
	 */
	private final Map<String, CompletableFuture<Void>> lanes = new ConcurrentHashMap<>();

	/** Topics whose last send timed out in the producer. */
	private final Map<String, Unavailable> unavailable = new ConcurrentHashMap<>();

	private final Executor executor = Executors.newCachedThreadPool((runnable) -> {
		Thread thread = new Thread(runnable, "outbox-kafka-send");
		thread.setDaemon(true);
		return thread;
	});

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
		return sendAll(List.of(message)).get(0);
	}

	/**
	 * Send a batch and flush once. A topic the producer has not sent to yet (or not since
	 * it was unavailable) is sent on a thread of its own, so that waiting for its
	 * metadata (it does not exist and the broker does not create topics, or the broker is
	 * unreachable) holds up no other topic's messages. A send that timed out inside the
	 * producer before it returned (it waited {@code max.block.ms} for the metadata or for
	 * buffer space) makes the topic unavailable: its later messages fail at once instead
	 * of blocking once each, until a check in the background finds its partitions again.
	 */
	@Override
	public List<CompletableFuture<Void>> sendAll(List<OutboxMessage> messages) {
		List<CompletableFuture<Void>> futures = new ArrayList<>(messages.size());
		Map<String, List<Integer>> byTopic = new LinkedHashMap<>();
		for (int i = 0; i < messages.size(); i++) {
			futures.add(new CompletableFuture<>());
			byTopic.computeIfAbsent(messages.get(i).destination(), (topic) -> new ArrayList<>()).add(i);
		}
		boolean sentHere = false;
		for (Map.Entry<String, List<Integer>> group : byTopic.entrySet()) {
			String topic = group.getKey();
			List<OutboxMessage> toSend = group.getValue().stream().map(messages::get).toList();
			List<CompletableFuture<Void>> topicFutures = group.getValue().stream().map(futures::get).toList();
			Unavailable unavailable = this.unavailable.get(topic);
			if (unavailable != null) {
				fail(topic, unavailable.cause(), topicFutures);
				recheck(topic, unavailable);
			}
			else if (this.ready.contains(topic)) {
				send(topic, toSend, topicFutures);
				sentHere = true;
			}
			else {
				this.lanes.compute(topic,
						(t, tail) -> ((tail != null) ? tail : CompletableFuture.completedFuture(null))
							.handle((result, ex) -> null)
							.thenRunAsync(() -> {
								send(topic, toSend, topicFutures);
								this.template.flush();
							}, this.executor));
			}
		}
		if (sentHere) {
			this.template.flush();
		}
		return futures;
	}

	/**
	 * Send one topic's messages of a batch in order, completing their futures; skip those
	 * whose future is already done (the relay gave up on them).
	 */
	private void send(String topic, List<OutboxMessage> messages, List<CompletableFuture<Void>> futures) {
		try {
			for (int i = 0; i < messages.size(); i++) {
				CompletableFuture<Void> future = futures.get(i);
				if (future.isDone()) {
					continue;
				}
				Unavailable unavailable = this.unavailable.get(topic);
				if (unavailable != null) {
					fail(topic, unavailable.cause(), futures.subList(i, futures.size()));
					return;
				}
				CompletableFuture<Void> sent = sendOne(messages.get(i));
				Throwable timeout = timedOutInProducer(sent);
				if (timeout != null) {
					this.ready.remove(topic);
					this.unavailable.putIfAbsent(topic, new Unavailable(timeout, new AtomicBoolean()));
				}
				else {
					this.ready.add(topic);
				}
				sent.whenComplete((result, ex) -> {
					if (ex != null) {
						future.completeExceptionally(ex);
					}
					else {
						future.complete(null);
					}
				});
			}
		}
		catch (RuntimeException ex) {
			futures.forEach((future) -> future.completeExceptionally(ex));
		}
	}

	private static void fail(String topic, Throwable cause, List<CompletableFuture<Void>> futures) {
		KafkaException failure = new KafkaException(
				"Not sent: an earlier send to topic '" + topic + "' timed out in the producer", cause);
		futures.forEach((future) -> future.completeExceptionally(failure));
	}

	/**
	 * Ask the producer for the topic's partitions in the background (it waits up to
	 * {@code max.block.ms} for them), unless a check of the topic is running: the topic
	 * is available again once it has some.
	 */
	private void recheck(String topic, Unavailable unavailable) {
		if (!unavailable.checking().compareAndSet(false, true)) {
			return;
		}
		try {
			this.executor.execute(() -> {
				try {
					List<PartitionInfo> partitions = this.template.partitionsFor(topic);
					if (partitions != null && !partitions.isEmpty()) {
						this.unavailable.remove(topic, unavailable);
					}
				}
				catch (RuntimeException ex) {
					// still unavailable: the next batch with messages to it checks again
				}
				finally {
					unavailable.checking().set(false);
				}
			});
		}
		catch (RuntimeException ex) {
			unavailable.checking().set(false);
		}
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
		Instant expiresAt = message.expiresAt();
		if (expiresAt != null) {
			headers.add(OutboxHeaders.EXPIRES_AT, bytes(expiresAt.toString()));
		}
		headers.add(MessageHeaders.CONTENT_TYPE, bytes(message.contentType()));
		if (this.cloudEvents != null) {
			return this.cloudEvents.record(message, headers);
		}
		return new ProducerRecord<>(message.destination(), null, message.key(), message.payload(), headers);
	}

	private static byte[] bytes(String value) {
		return value.getBytes(StandardCharsets.UTF_8);
	}

	/**
	 * A topic whose send timed out in the producer.
	 *
	 * @param cause the producer's timeout
	 * @param checking whether a background check of its metadata is running
	 */
	private record Unavailable(Throwable cause, AtomicBoolean checking) {
	}

}
