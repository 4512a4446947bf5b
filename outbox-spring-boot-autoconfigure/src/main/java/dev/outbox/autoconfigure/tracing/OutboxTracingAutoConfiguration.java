package dev.outbox.autoconfigure.tracing;

import dev.outbox.spi.OutboxHeaderContributor;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the trace context propagation through the outbox: with Micrometer
 * Tracing (a {@link Tracer} and a {@link Propagator}, for example from
 * {@code micrometer-tracing-bridge-brave} or {@code -otel}), each event stores the trace
 * context of the publishing thread in its headers.
 */
@AutoConfiguration(afterName = {
		"org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration",
		"org.springframework.boot.micrometer.tracing.brave.autoconfigure.BraveAutoConfiguration",
		"org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration",
		"org.springframework.boot.micrometer.tracing.autoconfigure.NoopTracerAutoConfiguration" },
		beforeName = "dev.outbox.autoconfigure.jdbc.OutboxJdbcAutoConfiguration")
@ConditionalOnClass({ Tracer.class, Propagator.class, OutboxHeaderContributor.class })
@ConditionalOnBean({ Tracer.class, Propagator.class })
@ConditionalOnBooleanProperty(name = "outbox.tracing.enabled", matchIfMissing = true)
public final class OutboxTracingAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	TraceContextHeaderContributor outboxTraceContextHeaderContributor(Tracer tracer, Propagator propagator) {
		return new TraceContextHeaderContributor(tracer, propagator);
	}

}
