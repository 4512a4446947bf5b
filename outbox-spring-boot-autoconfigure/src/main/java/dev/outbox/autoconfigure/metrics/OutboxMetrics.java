package dev.outbox.autoconfigure.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

import dev.outbox.admin.OutboxStats;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxRelayListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;

/**
 * The outbox's meters: counters of published, failed, parked and expired events and the
 * record-to-confirm latency (tagged by destination), told by the relay; gauges of the
 * outbox table (pending, failing, parked, expired, oldest pending age) read through a
 * {@link CachedOutboxStats}.
 */
final class OutboxMetrics implements OutboxRelayListener {

	static final String PUBLISHED = "outbox.events.published";

	static final String FAILED = "outbox.events.failed";

	static final String PARKED = "outbox.events.parked";

	static final String EXPIRED = "outbox.events.expired";

	static final String LATENCY = "outbox.events.latency";

	static final String PENDING = "outbox.events.pending";

	static final String FAILING = "outbox.events.failing";

	static final String PARKED_CURRENT = "outbox.events.parked.current";

	static final String EXPIRED_CURRENT = "outbox.events.expired.current";

	static final String OLDEST_PENDING_AGE = "outbox.events.oldest.pending.age";

	private static final String DESTINATION = "destination";

	private final MeterRegistry registry;

	/** Held here: gauges reference their state object weakly. */
	private final CachedOutboxStats stats;

	private final Map<String, Counter> published = new ConcurrentHashMap<>();

	private final Map<String, Counter> failed = new ConcurrentHashMap<>();

	private final Map<String, Counter> parked = new ConcurrentHashMap<>();

	private final Map<String, Counter> expired = new ConcurrentHashMap<>();

	private final Map<String, Timer> latency = new ConcurrentHashMap<>();

	OutboxMetrics(MeterRegistry registry, CachedOutboxStats stats) {
		this.registry = registry;
		this.stats = stats;
		gauge(PENDING, "Events waiting to be sent, delayed and failing ones included", stats, OutboxStats::pending);
		gauge(FAILING, "Pending events whose last attempt failed, to be retried", stats, OutboxStats::failing);
		gauge(PARKED_CURRENT, "Parked events waiting for an operator to replay or discard them", stats,
				OutboxStats::parked);
		gauge(EXPIRED_CURRENT, "Events that expired unsent, kept until purged", stats, OutboxStats::expired);
		TimeGauge
			.builder(OLDEST_PENDING_AGE, stats, TimeUnit.SECONDS,
					(cache) -> value(cache, (s) -> s.oldestPendingAgeOrZero().toNanos() / 1e9))
			.description("How long the oldest due pending event has been waiting")
			.register(registry);
	}

	private void gauge(String name, String description, CachedOutboxStats stats, ToDoubleFunction<OutboxStats> value) {
		Gauge.builder(name, stats, (cache) -> value(cache, value))
			.description(description)
			.baseUnit("events")
			.register(this.registry);
	}

	private static double value(CachedOutboxStats cache, ToDoubleFunction<OutboxStats> value) {
		OutboxStats stats = cache.get();
		return (stats != null) ? value.applyAsDouble(stats) : Double.NaN;
	}

	/**
	 * The cached statistics behind the gauges.
	 * @return the cache
	 */
	CachedOutboxStats stats() {
		return this.stats;
	}

	@Override
	public void onPublished(List<OutboxMessage> messages, Instant confirmedAt) {
		for (OutboxMessage message : messages) {
			String destination = message.destination();
			counter(this.published, PUBLISHED, "Events the broker confirmed", destination).increment();
			Duration latency = Duration.between(message.createdAt(), confirmedAt);
			this.latency
				.computeIfAbsent(destination,
						(d) -> Timer.builder(LATENCY)
							.description("Time from recording an event to the broker's confirm")
							.tag(DESTINATION, d)
							.register(this.registry))
				.record(latency.isNegative() ? Duration.ZERO : latency);
		}
	}

	@Override
	public void onFailed(OutboxMessage message, int attempts, String error) {
		counter(this.failed, FAILED, "Failed delivery attempts that will be retried", message.destination())
			.increment();
	}

	@Override
	public void onParked(OutboxMessage message, int attempts, String error) {
		counter(this.parked, PARKED, "Events parked after their last allowed attempt", message.destination())
			.increment();
	}

	@Override
	public void onExpired(ExpiredEvent event) {
		counter(this.expired, EXPIRED, "Events that reached their expiry unsent and are never sent",
				event.destination())
			.increment();
	}

	private Counter counter(Map<String, Counter> counters, String name, String description, String destination) {
		return counters.computeIfAbsent(destination,
				(d) -> Counter.builder(name).description(description).tag(DESTINATION, d).register(this.registry));
	}

}
