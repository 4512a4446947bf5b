package dev.outbox.sample.orders;

/**
 * An order that breaks a rule of {@link Order}: nothing is stored, the API answers 400.
 */
public class InvalidOrderException extends IllegalArgumentException {

	/**
	 * An invalid order.
	 * @param message what is wrong, for the client
	 */
	public InvalidOrderException(String message) {
		super(message);
	}

}
