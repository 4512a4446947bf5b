package dev.outbox.relay;

import org.jspecify.annotations.Nullable;

/**
 * Thrown by {@link OutboxRelay.Builder#build()} when a setting is invalid. It names the
 * setting as it is spelled under {@code outbox.relay} in Spring Boot configuration (for
 * example {@code batch-size} or {@code backoff.jitter}; {@code partitions} is
 * {@code outbox.partitions}), so a caller can report the property to fix.
 */
public class InvalidRelaySettingException extends IllegalArgumentException {

	private static final long serialVersionUID = 1L;

	private final String setting;

	private final transient @Nullable Object value;

	private final String reason;

	/**
	 * Create an exception.
	 * @param setting the setting, for example {@code batch-size}
	 * @param value the invalid value
	 * @param reason what a valid value is, as a sentence
	 */
	public InvalidRelaySettingException(String setting, @Nullable Object value, String reason) {
		super("Invalid outbox relay setting " + setting + " (" + value + "): " + reason);
		this.setting = setting;
		this.value = value;
		this.reason = reason;
	}

	/**
	 * The invalid setting, spelled as under {@code outbox.relay}.
	 * @return the setting, for example {@code backoff.multiplier}
	 */
	public String setting() {
		return this.setting;
	}

	/**
	 * The invalid value.
	 * @return the value
	 */
	public @Nullable Object value() {
		return this.value;
	}

	/**
	 * What a valid value is.
	 * @return the reason, as a sentence
	 */
	public String reason() {
		return this.reason;
	}

}
