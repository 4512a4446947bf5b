package dev.outbox.kafka;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import dev.outbox.OutboxHeaders;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.messaging.MessageHeaders;

/**
 * Sends outbox messages to Kafka: the destination is the topic, the message key the
 * record key (so one key lands on one Kafka partition, in order), the payload the value.
 * The record carries the {@link OutboxHeaders} (message id, event type, aggregate,
 * creation time), the content type and the event's own headers (such as the trace
 * context).
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

	private final KafkaTemplate<String, byte[]> template;

	/**
	 * Create a sender.
	 * @param template a template whose producer uses {@code acks=all} and idempotence,
	 * with a {@code String} key and {@code byte[]} value serializer
	 */
	public KafkaOutboxSender(KafkaTemplate<String, byte[]> template) {
		this.template = template;
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

	@Override
	public List<CompletableFuture<Void>> sendAll(List<OutboxMessage> messages) {
		List<CompletableFuture<Void>> futures = new ArrayList<>(messages.size());
		for (OutboxMessage message : messages) {
			futures.add(sendOne(message));
		}
		this.template.flush();
		return futures;
	}

	private CompletableFuture<Void> sendOne(OutboxMessage message) {
		try {
			return this.template.send(record(message)).thenApply((result) -> null);
		}
		catch (RuntimeException ex) {
			return CompletableFuture.failedFuture(ex);
		}
	}

	static ProducerRecord<String, byte[]> record(OutboxMessage message) {
		RecordHeaders headers = new RecordHeaders();
		for (Map.Entry<String, String> header : message.headers().entrySet()) {
			if (!RESERVED.contains(header.getKey())) {
				headers.add(header.getKey(), bytes(header.getValue()));
			}
		}
		headers.add(OutboxHeaders.MESSAGE_ID, bytes(message.id().toString()));
		headers.add(OutboxHeaders.EVENT_TYPE, bytes(message.eventType()));
		headers.add(OutboxHeaders.AGGREGATE_TYPE, bytes(message.aggregateType()));
		headers.add(OutboxHeaders.AGGREGATE_ID, bytes(message.aggregateId()));
		headers.add(OutboxHeaders.CREATED_AT, bytes(message.createdAt().toString()));
		headers.add(MessageHeaders.CONTENT_TYPE, bytes(message.contentType()));
		return new ProducerRecord<>(message.destination(), null, message.key(), message.payload(), headers);
	}

	private static byte[] bytes(String value) {
		return value.getBytes(StandardCharsets.UTF_8);
	}

}
