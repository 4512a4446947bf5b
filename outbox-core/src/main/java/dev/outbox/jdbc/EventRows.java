package dev.outbox.jdbc;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.outbox.OutboxEvent;
import dev.outbox.OutboxException;
import dev.outbox.spi.OutboxHeaderContributor;
import dev.outbox.spi.Partitions;
import dev.outbox.spi.PayloadSerializer;
import org.jspecify.annotations.Nullable;

/**
 * Turns events into {@link EventRow rows}: adds the contributed headers, serializes the
 * payload, and refuses what the table or the broker cannot take (text columns over
 * {@value #MAX_TEXT_LENGTH} characters, too many or too large headers, a too large
 * event), with a message that names the limit's property and never quotes a payload or a
 * header value.
 */
final class EventRows {

	/** Longest value of the text columns (destination, aggregate type and id, ...). */
	static final int MAX_TEXT_LENGTH = 255;

	private final PayloadSerializer serializer;

	private final List<OutboxHeaderContributor> headerContributors;

	private final int maxPayloadSize;

	private final int maxHeaders;

	private final int maxHeaderSize;

	private final int partitions;

	private final UuidV7Generator ids;

	EventRows(PayloadSerializer serializer, List<OutboxHeaderContributor> headerContributors, int maxPayloadSize,
			int maxHeaders, int maxHeaderSize, int partitions, UuidV7Generator ids) {
		this.serializer = serializer;
		this.headerContributors = List.copyOf(headerContributors);
		this.maxPayloadSize = maxPayloadSize;
		this.maxHeaders = maxHeaders;
		this.maxHeaderSize = maxHeaderSize;
		this.partitions = partitions;
		this.ids = ids;
	}

	EventRow toRow(OutboxEvent event, Instant now) {
		checkLength(event, "destination", event.destination());
		checkLength(event, "routingKey", event.routingKey());
		checkLength(event, "aggregateType", event.aggregateType());
		checkLength(event, "aggregateId", event.aggregateId());
		checkLength(event, "eventType", event.eventType());
		checkLength(event, "key", event.key());
		Map<String, String> headers = headers(event);
		long headersSize = checkHeaders(event, headers);
		byte[] payload;
		try {
			payload = this.serializer.serialize(event.payload());
		}
		catch (RuntimeException ex) {
			// the cause's message is left out: it may quote the payload
			throw new OutboxException("Could not serialize the payload of event type '" + event.eventType()
					+ "' for destination '" + event.destination() + "' with "
					+ this.serializer.getClass().getSimpleName() + " (" + ex.getClass().getName()
					+ "): make the payload serializable, or configure another PayloadSerializer", ex);
		}
		if (payload.length + headersSize > this.maxPayloadSize) {
			throw new OutboxException("The event of " + typeAndDestination(event) + " is "
					+ (payload.length + headersSize) + " bytes (payload " + payload.length + ", headers " + headersSize
					+ "), over the limit of " + this.maxPayloadSize
					+ " bytes (outbox.max-payload-size): send a smaller payload, for example a reference to the "
					+ "data, or raise the limit within what the broker accepts");
		}
		Instant availableAt = (event.availableAt() != null) ? event.availableAt() : now;
		return new EventRow(this.ids.next(), event, Partitions.of(event.key(), this.partitions), payload,
				HeadersJson.write(headers), availableAt);
	}

	private Map<String, String> headers(OutboxEvent event) {
		if (this.headerContributors.isEmpty()) {
			return event.headers();
		}
		Map<String, String> headers = new LinkedHashMap<>();
		for (OutboxHeaderContributor contributor : this.headerContributors) {
			headers.putAll(contributor.headers(event));
		}
		headers.putAll(event.headers());
		return headers;
	}

	/**
	 * Checks the headers against the limits and what {@code jsonb} can store; returns
	 * their size, names and values in UTF-8 bytes. Values are never quoted: they may hold
	 * secrets.
	 */
	private long checkHeaders(OutboxEvent event, Map<String, String> headers) {
		if (headers.size() > this.maxHeaders) {
			throw new OutboxException("The event of " + typeAndDestination(event) + " has " + headers.size()
					+ " headers, over the limit of " + this.maxHeaders
					+ " (outbox.max-headers): send fewer headers, or raise the limit");
		}
		long total = 0;
		for (Map.Entry<String, String> header : headers.entrySet()) {
			String name = abbreviate(header.getKey().replace('\u0000', '?'));
			if (!HeadersJson.isStorable(header.getKey()) || !HeadersJson.isStorable(header.getValue())) {
				throw new OutboxException("Header '" + name + "' of event " + typeAndDestination(event)
						+ " contains a NUL character, which PostgreSQL jsonb cannot store: remove it");
			}
			long size = HeadersJson.utf8Length(header.getKey()) + HeadersJson.utf8Length(header.getValue());
			if (size > this.maxHeaderSize) {
				throw new OutboxException("Header '" + name + "' of event " + typeAndDestination(event) + " is " + size
						+ " bytes (name and value), over the limit of " + this.maxHeaderSize
						+ " bytes (outbox.max-header-size): send a shorter header, or raise the limit");
			}
			total += size;
		}
		return total;
	}

	private static void checkLength(OutboxEvent event, String name, @Nullable String value) {
		if (value != null && value.length() > MAX_TEXT_LENGTH) {
			throw new OutboxException("The " + name + " of event " + typeAndDestination(event) + " is " + value.length()
					+ " characters long, over the limit of " + MAX_TEXT_LENGTH + ": shorten it");
		}
	}

	/**
	 * "type 'x' for destination 'y'", each cut to 80 characters, for the messages of
	 * events that are refused.
	 */
	private static String typeAndDestination(OutboxEvent event) {
		return "type '" + abbreviate(event.eventType()) + "' for destination '" + abbreviate(event.destination()) + "'";
	}

	private static String abbreviate(String value) {
		return (value.length() <= 80) ? value : value.substring(0, 77) + "...";
	}

}
