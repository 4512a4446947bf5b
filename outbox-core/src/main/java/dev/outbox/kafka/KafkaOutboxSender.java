package dev.outbox.kafka;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import dev.outbox.CloudEvents;
import dev.outbox.MessageFormat;
import dev.outbox.OutboxHeaders;
import dev.outbox.spi.NotAttemptedException;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;
import org.jspecify.annotations.Nullable;

import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.core.ProducerPostProcessor;
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
 * The template's producer factory must be configured for durable, ordered delivery:
 * {@code acks=all} and {@code enable.idempotence=true} (the auto-configuration builds
 * such a factory); a future completes only when the broker acknowledged the record. The
 * sender makes its own producers from that factory's configuration, serializers and
 * post-processors, and {@link #close() closes} them.
 * <p>
 * It {@linkplain #keepsKeyOrderInFlight() keeps key order in flight}: the relay may send
 * all events of a key at once. An idempotent producer keeps the records of a partition in
 * order with up to 5 requests in flight as long as they succeed, but not when one fails
 * for good (for example a record over the topic's {@code max.message.bytes}): the broker
 * rejects the later batches of the partition already in flight (their sequence numbers no
 * longer follow on), and the producer then gives them new sequence numbers (or a new
 * epoch) and sends them again, so they are written after the failed one was dropped. The
 * sender therefore fences a producer as soon as a record it accepted fails: in the
 * producer's callback, on its I/O thread, before the producer sends anything else, it
 * closes the producer without waiting ({@code close(Duration.ZERO)} ends the I/O thread
 * after the current round and fails every record not yet confirmed), and later sends go
 * to a new producer. The records failed by that close are reported with a
 * {@link NotAttemptedException} (they were not at fault: no attempt counted). A record
 * the producer refuses before accepting it (it cannot serialize it, it exceeds
 * {@code max.request.size}, the topic's metadata did not come within
 * {@code max.block.ms}) reorders nothing and fences nothing, but the later messages of
 * its key in the same call are not sent. See {@link Generation} for the argument and its
 * one condition: the producer's {@code batch.size} (16 KB by default) must stay below the
 * {@code max.message.bytes} of every topic (1 MB by default); the sender checks it for
 * each topic it sends to and logs a warning naming the fix where it does not hold.
 */
public final class KafkaOutboxSender implements OutboxSender, AutoCloseable {

	/** The name destinations refer to: {@value}. */
	public static final String NAME = "kafka";

	private static final Set<String> RESERVED = Set.of(OutboxHeaders.MESSAGE_ID, OutboxHeaders.EVENT_TYPE,
			OutboxHeaders.AGGREGATE_TYPE, OutboxHeaders.AGGREGATE_ID, OutboxHeaders.CREATED_AT,
			OutboxHeaders.EXPIRES_AT, MessageHeaders.CONTENT_TYPE);

	private static final String CLOUDEVENTS_SDK = "io.cloudevents.kafka.KafkaMessageFactory";

	/** How the producer reports a record it failed because it was closed at once. */
	private static final String CLOSED_FORCEFULLY = "closed forcefully";

	/** How the producer reports a record failed with another record of its batch. */
	private static final String PART_OF_A_FAILED_BATCH = "part of a batch";

	private final ProducerFactory<String, byte[]> producerFactory;

	private final Object generationMonitor = new Object();

	/** The producer new sends go to, created on first use and after each fence. */
	private volatile @Nullable Generation generation;

	private final AtomicInteger generations = new AtomicInteger();

	private volatile boolean closed;

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

	private final TopicSizeCheck sizeCheck;

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
		this.producerFactory = template.getProducerFactory();
		this.cloudEvents = (format == MessageFormat.CLOUDEVENTS) ? cloudEvents(cloudEventsSource) : null;
		this.sizeCheck = new TopicSizeCheck(this.producerFactory.getConfigurationProperties(), this.executor);
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
		Set<Generation> usedHere = new HashSet<>();
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
				Generation used = send(topic, toSend, topicFutures);
				if (used != null) {
					usedHere.add(used);
				}
			}
			else {
				this.lanes.compute(topic,
						(t, tail) -> ((tail != null) ? tail : CompletableFuture.completedFuture(null))
							.handle((result, ex) -> null)
							.thenRunAsync(() -> flush(send(topic, toSend, topicFutures)), this.executor));
			}
		}
		usedHere.forEach(KafkaOutboxSender::flush);
		return futures;
	}

	/**
	 * Returns {@code true}: a failed record never lets a later record of its key be
	 * written before it (see the class description).
	 */
	@Override
	public boolean keepsKeyOrderInFlight() {
		return true;
	}

	/**
	 * Close the producer at once: the messages not yet confirmed fail with a
	 * {@link NotAttemptedException}, and later sends fail.
	 */
	@Override
	public void close() {
		Generation current;
		synchronized (this.generationMonitor) {
			this.closed = true;
			current = this.generation;
			this.generation = null;
		}
		if (current != null) {
			current.fence(new NotAttemptedException("The outbox Kafka sender was closed", null));
		}
		this.sizeCheck.close();
	}

	private static void flush(@Nullable Generation generation) {
		if (generation == null) {
			return;
		}
		try {
			generation.producer.flush();
		}
		catch (RuntimeException ex) {
			// fenced while flushing: the close fails its records
		}
	}

	/**
	 * Send one topic's messages of a batch in order on one producer, completing their
	 * futures; skip those whose future is already done (the relay gave up on them). Once
	 * a message of a key was not sent (skipped, refused by the producer, or the producer
	 * was fenced), the later messages of the key in the batch are not sent either.
	 * @return the producer used, if any
	 */
	private @Nullable Generation send(String topic, List<OutboxMessage> messages,
			List<CompletableFuture<Void>> futures) {
		Generation generation;
		try {
			generation = generation();
		}
		catch (RuntimeException ex) {
			futures.forEach((future) -> future.completeExceptionally(ex));
			return null;
		}
		Set<String> stoppedKeys = new HashSet<>();
		for (int i = 0; i < messages.size(); i++) {
			CompletableFuture<Void> future = futures.get(i);
			OutboxMessage message = messages.get(i);
			if (stoppedKeys.contains(message.key())) {
				future.completeExceptionally(new NotAttemptedException(
						"Not sent: an earlier message of its key in the batch was not sent", null));
				continue;
			}
			if (future.isDone()) {
				stoppedKeys.add(message.key());
				continue;
			}
			Unavailable unavailable = this.unavailable.get(topic);
			if (unavailable != null) {
				fail(topic, unavailable.cause(), futures.subList(i, futures.size()));
				return generation;
			}
			Throwable fencedBy = generation.fencedBy;
			if (fencedBy != null) {
				future.completeExceptionally(notAttempted(fencedBy));
				continue;
			}
			ProducerRecord<String, byte[]> record;
			try {
				record = record(message);
			}
			catch (RuntimeException ex) {
				future.completeExceptionally(ex);
				stoppedKeys.add(message.key());
				continue;
			}
			Throwable refused = generation.send(record, future);
			if (refused == null) {
				if (this.ready.add(topic)) {
					this.sizeCheck.checkOnce(topic);
				}
				continue;
			}
			stoppedKeys.add(message.key());
			Throwable timeout = timedOut(refused);
			if (timeout != null) {
				this.ready.remove(topic);
				this.unavailable.putIfAbsent(topic, new Unavailable(timeout, new AtomicBoolean()));
			}
		}
		return generation;
	}

	/**
	 * The producer to send to: the current one, or a new one if there is none yet or it
	 * was fenced.
	 */
	private Generation generation() {
		Generation current = this.generation;
		if (current != null && current.fencedBy == null) {
			return current;
		}
		synchronized (this.generationMonitor) {
			if (this.closed) {
				throw new IllegalStateException("The outbox Kafka sender is closed");
			}
			current = this.generation;
			if (current == null || current.fencedBy != null) {
				current = new Generation(createProducer());
				this.generation = current;
			}
			return current;
		}
	}

	private Producer<String, byte[]> createProducer() {
		Map<String, Object> config = new HashMap<>(this.producerFactory.getConfigurationProperties());
		Object clientId = config.get(ProducerConfig.CLIENT_ID_CONFIG);
		if (clientId != null && !clientId.toString().isBlank()) {
			// the producers of one sender live side by side while a fenced one closes
			config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId + "-" + this.generations.incrementAndGet());
		}
		// a factory without serializer suppliers leaves them to the configuration
		@Nullable Supplier<@Nullable Serializer<String>> keySerializer = this.producerFactory.getKeySerializerSupplier();
		@Nullable Supplier<@Nullable Serializer<byte[]>> valueSerializer = this.producerFactory.getValueSerializerSupplier();
		Producer<String, byte[]> producer = new KafkaProducer<>(config,
				(keySerializer != null) ? keySerializer.get() : null,
				(valueSerializer != null) ? valueSerializer.get() : null);
		for (ProducerPostProcessor<String, byte[]> postProcessor : this.producerFactory.getPostProcessors()) {
			producer = postProcessor.apply(producer);
		}
		return producer;
	}

	private static NotAttemptedException notAttempted(Throwable fencedBy) {
		return new NotAttemptedException("Not confirmed: the Kafka producer was closed at once after another "
				+ "message failed, so that no later message of that key is written before it", fencedBy);
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
					List<PartitionInfo> partitions = generation().producer.partitionsFor(topic);
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
	 * The producer's {@link TimeoutException} among the causes of a refused send: only a
	 * send that blocked for {@code max.block.ms} (for the metadata or for buffer space)
	 * is refused with a timeout (a delivery timeout fails the record later, from the
	 * producer's I/O thread).
	 */
	private static @Nullable Throwable timedOut(Throwable refused) {
		for (Throwable cause = refused; cause != null; cause = (cause.getCause() != cause) ? cause.getCause() : null) {
			if (cause instanceof TimeoutException) {
				return cause;
			}
		}
		return null;
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
	 * One producer of the sender, from its creation until it is fenced.
	 * <p>
	 * Why closing it from the failed record's callback keeps key order (read in the
	 * kafka-clients 4.2 producer: {@code KafkaProducer}, {@code Sender},
	 * {@code RecordAccumulator}, {@code TransactionManager}):
	 * <ol>
	 * <li>The broker appends the batches of one producer id and epoch to a partition only
	 * in sequence order: a batch whose predecessor was not appended is rejected
	 * ({@code OUT_OF_ORDER_SEQUENCE_NUMBER}), not written. A partition's batches go to
	 * its leader on one connection, whose requests the broker handles one after the
	 * other, so a batch sent behind a failed one (up to 5 requests in flight) is
	 * rejected.</li>
	 * <li>Such a batch is written after all only once the producer gives it new sequence
	 * numbers or a new epoch ({@code TransactionManager} adjusts the sequences of the
	 * batches behind a failed one, or bumps the epoch) and sends it again: that happens
	 * on the I/O thread in a later round of its loop, after the failed batch's callbacks
	 * ran. A batch that expires ({@code delivery.timeout.ms}) is failed before the
	 * round's requests go out, but those carry the sequence numbers they had, so rule 1
	 * covers them.</li>
	 * <li>The callbacks run on the I/O thread. {@code close(Duration.ZERO)} called there
	 * does not wait: it ends the loop after the current round, so no further request goes
	 * out, and then fails every record not yet confirmed ("Producer is closed
	 * forcefully"), those in flight included; an append racing the close is refused or
	 * failed too.</li>
	 * </ol>
	 * So no record accepted by this producer after a failed one of the same partition is
	 * written unless the failed one was. One case is outside this argument: a batch of
	 * several records that the broker refuses as larger than the topic's
	 * {@code max.message.bytes} is split and sent again with no callback, and with
	 * several requests in flight the kafka-clients 4.2 producer was seen to write a later
	 * batch of the partition before the split parts of an earlier one (a topic limit of
	 * 10 KB under the default {@code batch.size} of 16 KB). Keep {@code batch.size} below
	 * every topic's {@code max.message.bytes} (the defaults, 16 KB and 1 MB, are): then a
	 * record too large for its topic is alone in its batch and fails as rule 2 says. A
	 * record refused before the producer accepted it ({@code send} throws, or calls the
	 * callback at once on the caller's thread) was never queued and reorders nothing: it
	 * does not fence.
	 */
	private static final class Generation {

		final Producer<String, byte[]> producer;

		/** The failure that fenced the producer, once it did. */
		volatile @Nullable Throwable fencedBy;

		Generation(Producer<String, byte[]> producer) {
			this.producer = producer;
		}

		/**
		 * Send a record, completing the future when it is confirmed or fails.
		 * @return {@code null} if the producer accepted the record, else why it refused
		 * it
		 */
		@Nullable Throwable send(ProducerRecord<String, byte[]> record, CompletableFuture<Void> future) {
			Thread caller = Thread.currentThread();
			AtomicBoolean sending = new AtomicBoolean(true);
			AtomicReference<@Nullable Throwable> refused = new AtomicReference<>();
			Callback callback = (metadata, ex) -> {
				if (ex == null) {
					future.complete(null);
				}
				else if (sending.get() && Thread.currentThread() == caller) {
					// refused before it was queued: nothing behind it to fence
					refused.set(ex);
					future.completeExceptionally(ex);
				}
				else {
					failed(future, ex);
				}
			};
			try {
				this.producer.send(record, callback);
			}
			catch (RuntimeException ex) {
				// not queued: the producer refused it, or is closed
				Throwable fencedBy = this.fencedBy;
				future.completeExceptionally((fencedBy != null) ? notAttempted(fencedBy) : ex);
				return ex;
			}
			finally {
				sending.set(false);
			}
			return refused.get();
		}

		/**
		 * A record the producer had accepted failed: fence, and report the records failed
		 * by the fence (or with another record of their batch) as not attempted.
		 */
		private void failed(CompletableFuture<Void> future, Exception ex) {
			String message = ex.getMessage();
			boolean collateral = ex.getClass() == KafkaException.class && message != null
					&& (message.contains(CLOSED_FORCEFULLY) || message.contains(PART_OF_A_FAILED_BATCH));
			fence(ex);
			future.completeExceptionally(collateral ? notAttempted(ex) : ex);
		}

		/**
		 * Close the producer at once, the first time only (called on its I/O thread, the
		 * close never waits).
		 */
		void fence(Throwable cause) {
			synchronized (this) {
				if (this.fencedBy != null) {
					return;
				}
				this.fencedBy = cause;
			}
			try {
				this.producer.close(Duration.ZERO);
			}
			catch (RuntimeException ex) {
				// closed anyway
			}
		}

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
