package dev.outbox.testing;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the outbox test support ({@code outbox.test.*}).
 */
@ConfigurationProperties("outbox.test")
public class OutboxTestProperties {

	/**
	 * Whether the relay's sends reach the broker. When false, every message the relay
	 * sends is recorded and confirmed at once, so tests need no broker.
	 */
	private boolean sendToBroker = true;

	public boolean isSendToBroker() {
		return this.sendToBroker;
	}

	public void setSendToBroker(boolean sendToBroker) {
		this.sendToBroker = sendToBroker;
	}

}
