package dev.outbox.autoconfigure.relay;

import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxRelayListener;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Tells every {@link OutboxRelayListener} bean, in order; one that throws does not keep
 * the others from being told.
 */
final class CompositeOutboxRelayListener implements OutboxRelayListener {

	private static final Log logger = LogFactory.getLog(CompositeOutboxRelayListener.class);

	private final List<OutboxRelayListener> listeners;

	CompositeOutboxRelayListener(List<OutboxRelayListener> listeners) {
		this.listeners = List.copyOf(listeners);
	}

	@Override
	public void onPublished(List<OutboxMessage> messages, Instant confirmedAt) {
		each((listener) -> listener.onPublished(messages, confirmedAt));
	}

	@Override
	public void onFailed(OutboxMessage message, int attempts, String error) {
		each((listener) -> listener.onFailed(message, attempts, error));
	}

	@Override
	public void onParked(OutboxMessage message, int attempts, String error) {
		each((listener) -> listener.onParked(message, attempts, error));
	}

	@Override
	public void onExpired(ExpiredEvent event) {
		each((listener) -> listener.onExpired(event));
	}

	private void each(Consumer<OutboxRelayListener> call) {
		for (OutboxRelayListener listener : this.listeners) {
			try {
				call.accept(listener);
			}
			catch (RuntimeException ex) {
				logger.warn("Outbox relay listener " + listener.getClass().getName() + " failed", ex);
			}
		}
	}

}
