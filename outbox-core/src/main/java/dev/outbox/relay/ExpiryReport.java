package dev.outbox.relay;

import java.util.List;

import dev.outbox.spi.OutboxRelayListener;
import dev.outbox.spi.OutboxRelayListener.ExpiredEvent;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Tells the listener and the log about the events a fetch marked expired: one warning per
 * fetch, naming the first of them.
 */
final class ExpiryReport {

	private static final Log logger = LogFactory.getLog(OutboxRelay.class);

	private ExpiryReport() {
	}

	static void report(List<ExpiredEvent> expired, OutboxRelayListener listener, String instanceId) {
		if (expired.isEmpty()) {
			return;
		}
		ExpiredEvent first = expired.get(0);
		logger.warn("Outbox relay " + instanceId + ": " + expired.size()
				+ " event(s) expired unsent and will not be sent, for example event " + first.id() + " (type "
				+ first.eventType() + ", destination " + first.destination() + ", key " + first.key() + ", expired at "
				+ first.expiresAt() + ")");
		for (ExpiredEvent event : expired) {
			try {
				listener.onExpired(event);
			}
			catch (RuntimeException ex) {
				logger.warn("Outbox relay listener failed", ex);
			}
		}
	}

}
