package dev.outbox.spi;

import org.jspecify.annotations.Nullable;

/**
 * Completes a message's future when the message itself was not at fault: it was never
 * handed to the broker, or it was lost together with a channel or connection that another
 * destination's message broke. The relay counts no attempt against the event and never
 * parks it for this: it leaves it pending, records the error, and tries it again after
 * the first retry delay, in order with the rest of its key.
 * <p>
 * An {@link OutboxSender} uses it only for collateral failures; a failure of the message
 * or of its own destination (missing exchange or topic, rejection, timeout) must count,
 * so that a poison event is parked after the maximum number of attempts.
 */
public class NotAttemptedException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	/**
	 * Create an exception.
	 * @param message why the message was not attempted
	 * @param cause the other message's or destination's failure, if any
	 */
	public NotAttemptedException(String message, @Nullable Throwable cause) {
		super(message, cause);
	}

}
