package dev.outbox.autoconfigure.actuate;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;

import dev.outbox.admin.FailedEvent;
import dev.outbox.admin.OutboxAdmin;
import dev.outbox.admin.OutboxStats;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code outbox} actuator endpoint: lists parked and failing events with their last
 * error ({@code GET /actuator/outbox}, one with {@code GET /actuator/outbox/{id}}),
 * replays one ({@code POST /actuator/outbox/{id}}) or all ({@code POST /actuator/outbox})
 * and discards one ({@code DELETE /actuator/outbox/{id}}). Payloads are shown only as
 * {@code management.endpoint.outbox.show-payload} allows.
 * <p>
 * Its access is read-only unless granted: replay and discard change data, so they are
 * available only with {@code management.endpoint.outbox.access=unrestricted} (or
 * {@code management.endpoints.access.default=unrestricted}). An id that is not a UUID is
 * answered with 400.
 */
@Endpoint(id = "outbox", defaultAccess = Access.READ_ONLY)
public class OutboxEndpoint {

	private final OutboxAdmin admin;

	private final Show showPayload;

	private final Set<String> roles;

	private final int limit;

	OutboxEndpoint(OutboxAdmin admin, Show showPayload, Set<String> roles, int limit) {
		this.admin = admin;
		this.showPayload = showPayload;
		this.roles = Set.copyOf(roles);
		this.limit = limit;
	}

	/**
	 * The outbox counts and the parked, then failing, events.
	 * @param securityContext the caller, to decide whether payloads are shown
	 * @return the descriptor
	 */
	@ReadOperation
	public OutboxDescriptor events(SecurityContext securityContext) {
		boolean payload = this.showPayload.isShown(securityContext, this.roles);
		OutboxStats stats = this.admin.stats();
		List<EventDescriptor> events = this.admin.failedEvents(this.limit, payload)
			.stream()
			.map(EventDescriptor::of)
			.toList();
		return new OutboxDescriptor(stats.pending(), stats.failing(), stats.parked(), stats.expired(),
				stats.oldestPendingAgeOrZero(), events);
	}

	/**
	 * One parked or failing event.
	 * @param securityContext the caller, to decide whether the payload is shown
	 * @param id the message id
	 * @return the event, or {@code null} (404) if no parked or failing event has that id
	 */
	@ReadOperation
	public @Nullable EventDescriptor event(SecurityContext securityContext, @Selector String id) {
		boolean payload = this.showPayload.isShown(securityContext, this.roles);
		return this.admin.failedEvent(parse(id), payload).map(EventDescriptor::of).orElse(null);
	}

	/**
	 * Replay every parked and failing event.
	 * @return how many were replayed
	 */
	@WriteOperation
	public ReplayDescriptor replayAll() {
		return new ReplayDescriptor(this.admin.replayAll());
	}

	/**
	 * Replay one parked or failing event.
	 * @param id the message id
	 * @return how many were replayed (0 if no parked or failing event has that id)
	 */
	@WriteOperation
	public ReplayDescriptor replay(@Selector String id) {
		return new ReplayDescriptor(this.admin.replay(parse(id)) ? 1 : 0);
	}

	/**
	 * Discard (delete) one parked or failing event.
	 * @param id the message id
	 * @return how many were discarded (0 if no parked or failing event has that id)
	 */
	@DeleteOperation
	public DiscardDescriptor discard(@Selector String id) {
		return new DiscardDescriptor(this.admin.discard(parse(id)) ? 1 : 0);
	}

	private static UUID parse(String id) {
		try {
			return UUID.fromString(id);
		}
		catch (IllegalArgumentException ex) {
			throw new InvalidEndpointRequestException("Not a message id (a UUID): '" + id + "'",
					"Not a message id (a UUID)", ex);
		}
	}

	/**
	 * The endpoint's listing.
	 *
	 * @param pending pending events (delayed and failing ones included)
	 * @param failing pending events whose last attempt failed
	 * @param parked parked events
	 * @param expired events that expired unsent, until purged
	 * @param oldestPendingAge how long the oldest due pending event has waited
	 * @param events parked, then failing, events
	 */
	public record OutboxDescriptor(long pending, long failing, long parked, long expired, Duration oldestPendingAge,
			List<EventDescriptor> events) implements OperationResponseBody {
	}

	/**
	 * A parked or failing event.
	 *
	 * @param id the message id
	 * @param state {@code PARKED} or {@code FAILING}
	 * @param destination the destination
	 * @param key the message key
	 * @param eventType the event type
	 * @param aggregateType the aggregate type
	 * @param aggregateId the aggregate id
	 * @param attempts failed attempts
	 * @param lastError the last error
	 * @param createdAt when it was recorded
	 * @param availableAt its next attempt (failing) or when it would have been retried
	 * (parked)
	 * @param contentType the payload's content type
	 * @param payload the payload (text; base64 unless the content type is JSON or text),
	 * when shown
	 */
	public record EventDescriptor(UUID id, String state, String destination, String key, String eventType,
			String aggregateType, String aggregateId, int attempts, @Nullable String lastError, Instant createdAt,
			Instant availableAt, String contentType, @Nullable String payload) implements OperationResponseBody {

		static EventDescriptor of(FailedEvent event) {
			return new EventDescriptor(event.id(), event.state().name(), event.destination(), event.key(),
					event.eventType(), event.aggregateType(), event.aggregateId(), event.attempts(), event.lastError(),
					event.createdAt(), event.availableAt(), event.contentType(),
					render(event.contentType(), event.payload()));
		}

		private static @Nullable String render(String contentType, byte @Nullable [] payload) {
			if (payload == null) {
				return null;
			}
			String type = contentType.toLowerCase(Locale.ROOT);
			if (type.contains("json") || type.startsWith("text/")) {
				return new String(payload, StandardCharsets.UTF_8);
			}
			return Base64.getEncoder().encodeToString(payload);
		}

	}

	/**
	 * The outcome of a replay.
	 *
	 * @param replayed events made pending again
	 */
	public record ReplayDescriptor(int replayed) implements OperationResponseBody {
	}

	/**
	 * The outcome of a discard.
	 *
	 * @param discarded events deleted
	 */
	public record DiscardDescriptor(int discarded) implements OperationResponseBody {
	}

}
