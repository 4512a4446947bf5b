package dev.outbox.autoconfigure.relay;

import dev.outbox.relay.OutboxRelay;
import dev.outbox.spi.OutboxCommitListener;

/**
 * Wakes the relay of this application right after a transaction that recorded events
 * committed.
 */
final class RelayWakeUpCommitListener implements OutboxCommitListener {

	private final OutboxRelay relay;

	RelayWakeUpCommitListener(OutboxRelay relay) {
		this.relay = relay;
	}

	@Override
	public void afterCommit() {
		this.relay.wakeUp();
	}

}
