package dev.outbox.autoconfigure.tracing;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.outbox.OutboxEvent;
import dev.outbox.spi.OutboxHeaderContributor;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

/**
 * Stores the trace context of the span current when an event is recorded in the event's
 * headers, in the format of the application's {@link Propagator} ({@code traceparent}
 * with W3C propagation, Spring Boot's default; {@code b3} with B3). The relay sends the
 * headers with the message, so a consumer with observation enabled continues the trace.
 */
final class TraceContextHeaderContributor implements OutboxHeaderContributor {

	private final Tracer tracer;

	private final Propagator propagator;

	TraceContextHeaderContributor(Tracer tracer, Propagator propagator) {
		this.tracer = tracer;
		this.propagator = propagator;
	}

	@Override
	public Map<String, String> headers(OutboxEvent event) {
		Span span = this.tracer.currentSpan();
		if (span == null) {
			return Map.of();
		}
		Map<String, String> headers = new LinkedHashMap<>();
		this.propagator.inject(span.context(), headers, (carrier, key, value) -> headers.put(key, value));
		return headers;
	}

}
