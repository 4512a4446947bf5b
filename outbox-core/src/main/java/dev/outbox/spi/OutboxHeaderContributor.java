package dev.outbox.spi;

import java.util.Map;

import dev.outbox.OutboxEvent;

/**
 * Adds headers to every event when it is recorded, on the publishing thread, for example
 * the trace context of the current span ({@code traceparent}). The event's own headers
 * win over contributed ones with the same name. Implementations must return quickly and
 * must not add secrets: headers are stored with the event and sent to the broker.
 */
@FunctionalInterface
public interface OutboxHeaderContributor {

	/**
	 * The headers to add to an event being recorded.
	 * @param event the event
	 * @return the headers, possibly empty
	 */
	Map<String, String> headers(OutboxEvent event);

}
