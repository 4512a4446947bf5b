package dev.outbox;

/**
 * Thrown when an event cannot be recorded or delivered: no active transaction, a payload
 * that cannot be serialized or is too large, an invalid configuration.
 */
public class OutboxException extends RuntimeException {

	/**
	 * Create an exception.
	 * @param message the detail message, saying what to fix
	 */
	public OutboxException(String message) {
		super(message);
	}

	/**
	 * Create an exception with a cause.
	 * @param message the detail message, saying what to fix
	 * @param cause the cause
	 */
	public OutboxException(String message, Throwable cause) {
		super(message, cause);
	}

}
