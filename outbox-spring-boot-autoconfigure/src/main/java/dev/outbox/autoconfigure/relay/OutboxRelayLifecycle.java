package dev.outbox.autoconfigure.relay;

import dev.outbox.relay.OutboxRelay;

import org.springframework.context.SmartLifecycle;

/**
 * Starts the relay with the application context and stops it gracefully (in-flight batch
 * finished, partitions released) before the data source and brokers are closed.
 */
final class OutboxRelayLifecycle implements SmartLifecycle {

	private final OutboxRelay relay;

	OutboxRelayLifecycle(OutboxRelay relay) {
		this.relay = relay;
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
