package dev.outbox.jdbc;

import java.time.Instant;
import java.util.UUID;

import dev.outbox.OutboxEvent;

/**
 * An event checked and ready to insert: its message id, relay partition, serialized
 * payload and headers (a JSON object), and when it may be sent.
 */
record EventRow(UUID id, OutboxEvent event, int partition, byte[] payload, String headers, Instant availableAt) {

}
