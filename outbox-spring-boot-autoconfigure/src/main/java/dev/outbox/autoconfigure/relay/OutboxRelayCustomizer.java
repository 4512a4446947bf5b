package dev.outbox.autoconfigure.relay;

import dev.outbox.relay.OutboxRelay;

/**
 * Callback that adjusts the auto-configured {@link OutboxRelay} before it is built, for
 * settings the {@code outbox.relay.*} properties do not cover (a relay listener, a clock)
 * or to override one of them in code. Beans of this type are applied in
 * {@link org.springframework.core.annotation.Order order}, after the properties.
 */
@FunctionalInterface
public interface OutboxRelayCustomizer {

	/**
	 * Customize the relay's builder.
	 * @param builder the builder, already configured from the properties
	 */
	void customize(OutboxRelay.Builder builder);

}
