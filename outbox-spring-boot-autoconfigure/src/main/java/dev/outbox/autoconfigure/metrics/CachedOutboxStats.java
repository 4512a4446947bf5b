package dev.outbox.autoconfigure.metrics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

import dev.outbox.admin.OutboxStats;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Reads the outbox statistics at most once per interval; a failed read is also reused for
 * the interval (the gauges then show NaN) so a database outage is not hammered by
 * scrapes.
 */
final class CachedOutboxStats {

	private static final Log logger = LogFactory.getLog(CachedOutboxStats.class);

	private final Supplier<OutboxStats> source;

	private final Duration interval;

	private final Clock clock;

	private @Nullable Instant readAt;

	private @Nullable OutboxStats stats;

	CachedOutboxStats(Supplier<OutboxStats> source, Duration interval, Clock clock) {
		this.source = source;
		this.interval = interval;
		this.clock = clock;
	}

	/**
	 * The statistics, read now if the last reading is older than the interval.
	 * @return the statistics, or {@code null} if the last read failed
	 */
	synchronized @Nullable OutboxStats get() {
		Instant now = this.clock.instant();
		if (this.readAt == null || !now.isBefore(this.readAt.plus(this.interval))) {
			this.readAt = now;
			try {
				this.stats = this.source.get();
			}
			catch (RuntimeException ex) {
				logger.warn("Could not read the outbox statistics for the metrics: " + ex);
				this.stats = null;
			}
		}
		return this.stats;
	}

}
