package dev.outbox.relay;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import dev.outbox.OutboxStatus;
import dev.outbox.spi.OutboxMessage;
import org.jspecify.annotations.Nullable;

/**
 * A {@link RelayStore} in memory, with the blocking rules of {@link JdbcRelayStore}'s
 * fetch: a (destination, key) is blocked from its first event that is parked, being
 * retried, or delayed and not due. Due times use the given clock. For unit tests of the
 * relay pipeline; not thread-safe.
 */
final class InMemoryRelayStore implements RelayStore {

	private final Clock clock;

	private final List<Row> rows = new ArrayList<>();

	private long nextSeq = 1;

	/** Runs at the start of each {@link #markPublished}, on the marking thread. */
	volatile Runnable beforeMarkPublished = () -> {
	};

	/** Runs at the end of each {@link #fetch}. */
	volatile Runnable afterFetch = () -> {
	};

	InMemoryRelayStore(Clock clock) {
		this.clock = clock;
	}

	/**
	 * Store a pending event in partition 0.
	 * @param destination the destination
	 * @param key the message key
	 * @param payload the payload, as text
	 * @return the event's message id
	 */
	UUID add(String destination, String key, String payload) {
		UUID id = new UUID(0, this.nextSeq);
		Instant now = this.clock.instant();
		OutboxMessage message = new OutboxMessage(id, destination, null, "Order", key, "OrderPlaced", key,
				payload.getBytes(StandardCharsets.UTF_8), "text/plain", Map.of(), now);
		this.rows.add(new Row(message, this.nextSeq++, 0, now));
		return id;
	}

	Row row(UUID id) {
		return find(id).orElseThrow(() -> new IllegalArgumentException("No event " + id));
	}

	boolean isDeleted(UUID id) {
		return find(id).isEmpty();
	}

	private Optional<Row> find(UUID id) {
		return this.rows.stream().filter((row) -> row.message.id().equals(id)).findFirst();
	}

	@Override
	public Fetched fetch(Collection<Integer> partitions, int perPartition, int limit, long maxBytes, boolean expire) {
		Fetched fetched = read(partitions, perPartition, limit, maxBytes);
		this.afterFetch.run();
		return fetched;
	}

	private Fetched read(Collection<Integer> partitions, int perPartition, int limit, long maxBytes) {
		Instant now = this.clock.instant();
		Map<Integer, Integer> readPerPartition = new HashMap<>();
		List<Row> candidates = new ArrayList<>();
		for (Row row : this.rows) {
			if (candidates.size() >= limit) {
				break;
			}
			if (!partitions.contains(row.partition) || row.status != OutboxStatus.PENDING
					|| row.availableAt.isAfter(now) || isBlocked(row, now)) {
				continue;
			}
			if (readPerPartition.merge(row.partition, 1, Integer::sum) <= perPartition) {
				candidates.add(row);
			}
		}
		List<ClaimedEvent> events = new ArrayList<>();
		long bytes = 0;
		for (Row row : candidates) {
			if (bytes >= maxBytes) {
				break;
			}
			bytes += row.message.payload().length;
			events.add(new ClaimedEvent(row.message, row.seq, row.partition, row.attempts));
		}
		return new Fetched(events, events.isEmpty() ? 0 : candidates.size(), List.of(), false);
	}

	private boolean isBlocked(Row row, Instant now) {
		for (Row before : this.rows) {
			if (before.seq >= row.seq) {
				return false;
			}
			boolean sameKey = before.message.destination().equals(row.message.destination())
					&& before.message.key().equals(row.message.key());
			if (sameKey && (before.status == OutboxStatus.PARKED || (before.status == OutboxStatus.PENDING
					&& (before.attempts > 0 || before.availableAt.isAfter(now))))) {
				return true;
			}
		}
		return false;
	}

	@Override
	public int markPublished(Collection<UUID> ids, boolean delete) {
		this.beforeMarkPublished.run();
		int count = 0;
		for (UUID id : ids) {
			Optional<Row> row = find(id).filter((r) -> r.status == OutboxStatus.PENDING);
			if (row.isPresent()) {
				count++;
				if (delete) {
					this.rows.remove(row.get());
				}
				else {
					row.get().status = OutboxStatus.PUBLISHED;
					row.get().publishedAt = this.clock.instant();
				}
			}
		}
		return count;
	}

	@Override
	public void markFailed(List<Failure> failures) {
		for (Failure failure : failures) {
			find(failure.id()).filter((r) -> r.status == OutboxStatus.PENDING).ifPresent((row) -> {
				row.attempts = failure.attempts();
				row.lastError = failure.error();
				row.availableAt = this.clock.instant().plus(failure.delay());
				row.status = failure.parked() ? OutboxStatus.PARKED : OutboxStatus.PENDING;
			});
		}
	}

	@Override
	public int purge(Duration retention, int limit) {
		Instant cutOff = this.clock.instant().minus(retention);
		List<Row> old = this.rows.stream()
			.filter((row) -> row.status == OutboxStatus.PUBLISHED && row.publishedAt != null
					&& row.publishedAt.isBefore(cutOff))
			.limit(limit)
			.toList();
		this.rows.removeAll(old);
		return old.size();
	}

	/**
	 * A stored event.
	 */
	static final class Row {

		final OutboxMessage message;

		final long seq;

		final int partition;

		OutboxStatus status = OutboxStatus.PENDING;

		int attempts;

		@Nullable String lastError;

		Instant availableAt;

		@Nullable Instant publishedAt;

		Row(OutboxMessage message, long seq, int partition, Instant availableAt) {
			this.message = message;
			this.seq = seq;
			this.partition = partition;
			this.availableAt = availableAt;
		}

	}

}
