package dev.outbox.relay;

import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.outbox.SqlIdentifiers;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;
import dev.outbox.spi.Partitions;
import org.jspecify.annotations.Nullable;

/**
 * The relay's validated settings: the home of every default and of every check of a
 * setting. A check throws {@link InvalidRelaySettingException} naming the setting as it
 * is spelled under {@code outbox.relay}, which the Spring Boot auto-configuration turns
 * into the property to fix. The backoff's own checks live in {@link Backoff}.
 */
final class RelaySettings {

	static final int DEFAULT_BATCH_SIZE = 500;

	static final long DEFAULT_BATCH_MAX_BYTES = 4L * 1024 * 1024;

	static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

	static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(10);

	static final int DEFAULT_MAX_ATTEMPTS = 10;

	static final Duration DEFAULT_BACKOFF_INITIAL_INTERVAL = Duration.ofSeconds(1);

	static final double DEFAULT_BACKOFF_MULTIPLIER = 2.0;

	static final Duration DEFAULT_BACKOFF_MAX_INTERVAL = Duration.ofMinutes(5);

	static final double DEFAULT_BACKOFF_JITTER = 0.5;

	static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(30);

	static final Duration DEFAULT_RETENTION = Duration.ZERO;

	static final Duration DEFAULT_PURGE_INTERVAL = Duration.ofMinutes(1);

	static final int DEFAULT_PURGE_BATCH_SIZE = 1000;

	static final int DEFAULT_PARTITIONS = Partitions.DEFAULT_COUNT;

	final Routes routes;

	final int partitions;

	final int batchSize;

	final long batchMaxBytes;

	final Duration pollInterval;

	final Duration sendTimeout;

	final int maxAttempts;

	final Backoff backoff;

	final Duration leaseDuration;

	final Duration retention;

	final Duration purgeInterval;

	final int purgeBatchSize;

	final String instanceId;

	final @Nullable String notifyChannel;

	RelaySettings(OutboxRelay.Builder builder) {
		this.routes = new Routes(builder.senders, builder.defaultBroker, builder.destinations);
		this.partitions = atLeastOne("partitions", builder.partitions);
		this.batchSize = atLeastOne("batch-size", builder.batchSize);
		if (builder.batchMaxBytes < 1) {
			throw new InvalidRelaySettingException("batch-max-bytes", builder.batchMaxBytes,
					"It must be a positive size, for example 4MB.");
		}
		this.batchMaxBytes = builder.batchMaxBytes;
		this.pollInterval = positive("poll-interval", builder.pollInterval);
		this.sendTimeout = positive("send-timeout", builder.sendTimeout);
		this.maxAttempts = atLeastOne("max-attempts", builder.maxAttempts);
		this.backoff = new Backoff(builder.backoffInitialInterval, builder.backoffMultiplier,
				builder.backoffMaxInterval, builder.backoffJitter);
		this.leaseDuration = positive("lease-duration", builder.leaseDuration);
		if (this.sendTimeout.multipliedBy(2).compareTo(this.leaseDuration) > 0) {
			throw new InvalidRelaySettingException("lease-duration", this.leaseDuration,
					"It must be at least twice send-timeout (" + this.sendTimeout
							+ ") so that a batch completes while its partitions are owned; raise it or lower send-timeout.");
		}
		if (builder.retention.isNegative()) {
			throw new InvalidRelaySettingException("retention", builder.retention,
					"It must not be negative; 0 deletes events as soon as they are published.");
		}
		this.retention = builder.retention;
		this.purgeInterval = positive("purge-interval", builder.purgeInterval);
		this.purgeBatchSize = atLeastOne("purge-batch-size", builder.purgeBatchSize);
		this.instanceId = (builder.instanceId != null) ? builder.instanceId : defaultInstanceId();
		this.notifyChannel = (builder.notifyChannel != null)
				? SqlIdentifiers.requireValid(builder.notifyChannel, "notifyChannel", "outbox") : null;
	}

	/**
	 * The margin by which a partition's lease must outlive a batch's send timeout for the
	 * batch to be sent.
	 */
	Duration leaseMargin() {
		return this.leaseDuration.dividedBy(10);
	}

	private static int atLeastOne(String setting, int value) {
		if (value < 1) {
			throw new InvalidRelaySettingException(setting, value, "It must be at least 1.");
		}
		return value;
	}

	private static Duration positive(String setting, Duration value) {
		if (value.isNegative() || value.isZero()) {
			throw new InvalidRelaySettingException(setting, value, "It must be a positive duration, for example 1s.");
		}
		return value;
	}

	private static String defaultInstanceId() {
		String host;
		try {
			host = InetAddress.getLocalHost().getHostName();
		}
		catch (Exception ex) {
			host = "unknown";
		}
		return host + "-" + UUID.randomUUID();
	}

	/**
	 * Which sender sends a destination: its route, else the default broker (the only
	 * sender's name when there is one).
	 */
	static final class Routes {

		private final Map<String, OutboxSender> senders;

		private final @Nullable String defaultBroker;

		private final Map<String, String> destinations;

		Routes(List<OutboxSender> senders, @Nullable String defaultBroker, Map<String, String> destinations) {
			Map<String, OutboxSender> byName = new LinkedHashMap<>();
			for (OutboxSender sender : senders) {
				if (byName.putIfAbsent(sender.name(), sender) != null) {
					throw new IllegalArgumentException("Two outbox senders are named '" + sender.name() + "'");
				}
			}
			this.senders = Map.copyOf(byName);
			this.defaultBroker = (defaultBroker != null) ? defaultBroker
					: (byName.size() == 1) ? byName.keySet().iterator().next() : null;
			if (this.defaultBroker != null && !byName.containsKey(this.defaultBroker)) {
				throw new InvalidRelaySettingException("broker", this.defaultBroker,
						"It names no sender; available: " + byName.keySet() + ".");
			}
			destinations.forEach((destination, broker) -> {
				if (!byName.containsKey(broker)) {
					throw new InvalidRelaySettingException("destinations." + destination, broker,
							"It names no sender; available: " + byName.keySet() + ".");
				}
			});
			this.destinations = Map.copyOf(destinations);
		}

		@Nullable OutboxSender senderFor(String destination) {
			String broker = this.destinations.getOrDefault(destination, this.defaultBroker);
			return (broker != null) ? this.senders.get(broker) : null;
		}

		IllegalStateException noSender(OutboxMessage message) {
			return new IllegalStateException("No outbox sender for destination '" + message.destination()
					+ "': route it with outbox.relay.destinations or set outbox.relay.broker (senders: "
					+ this.senders.keySet() + ")");
		}

	}

}
