package dev.outbox.autoconfigure.relay;

import dev.outbox.relay.OutboxRelay;

import org.springframework.context.SmartLifecycle;

/**
 * Starts the relay with the application context and stops it gracefully (in-flight batch
 * finished, partitions released) before the data source and brokers are closed.
 */
final class OutboxRelayLifecycle implements SmartLifecycle {

	private final OutboxRelay relay;

	private final boolean autoStartup;

	OutboxRelayLifecycle(OutboxRelay relay, boolean autoStartup) {
		this.relay = relay;
		this.autoStartup = autoStartup;
	}

	@Override
	public boolean isAutoStartup() {
		return this.autoStartup;
	}

	@Override
	public void start() {
		this.relay.start();
	}

	@Override
	public void stop() {
		this.relay.stop();
	}

	@Override
	public boolean isRunning() {
		return this.relay.isRunning();
	}

}
