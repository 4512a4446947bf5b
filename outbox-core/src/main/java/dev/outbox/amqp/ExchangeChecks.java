package dev.outbox.amqp;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ShutdownSignalException;
import org.jspecify.annotations.Nullable;

/**
 * What the sender learnt about its exchanges from passive checks, each answer kept for a
 * short time: whether an exchange must be checked before a publish, and the failure of
 * the messages to one that does not exist. Thread-safe.
 */
final class ExchangeChecks {

	private final long expiryNanos;

	private final Duration expiry;

	private final LongSupplier nanoTime;

	private final Map<String, Check> checks = new ConcurrentHashMap<>();

	ExchangeChecks(Duration expiry, LongSupplier nanoTime) {
		this.expiry = expiry;
		this.expiryNanos = expiry.toNanos();
		this.nanoTime = nanoTime;
	}

	/**
	 * The failure for messages to an exchange found missing less than the expiry ago.
	 */
	@Nullable RuntimeException missing(String exchange) {
		Check check = this.checks.get(exchange);
		return (check != null && check.missing() != null && fresh(check)) ? check.missing() : null;
	}

	/**
	 * Whether the exchange must be checked before a publish: not the default exchange,
	 * and not found to exist less than the expiry ago.
	 */
	boolean needsCheck(String exchange) {
		if (exchange.isEmpty()) {
			return false;
		}
		Check check = this.checks.get(exchange);
		return check == null || check.missing() != null || !fresh(check);
	}

	void found(String exchange) {
		this.checks.put(exchange, new Check(this.nanoTime.getAsLong(), null));
	}

	void forget(String exchange) {
		this.checks.remove(exchange);
	}

	/**
	 * Remember the exchange as missing if the failure is the broker's 404 for it (from a
	 * passive check).
	 * @return the failure for the exchange's messages: a readable one for a missing
	 * exchange, else the given one
	 */
	RuntimeException notFound(String exchange, RuntimeException failure) {
		for (Throwable cause = failure; cause != null; cause = (cause.getCause() != cause) ? cause.getCause() : null) {
			if (cause instanceof ShutdownSignalException signal && !signal.isHardError()
					&& signal.getReason() instanceof AMQP.Channel.Close close
					&& close.getReplyCode() == AMQP.NOT_FOUND) {
				RuntimeException missing = new IllegalStateException(
						"RabbitMQ has no exchange '" + exchange + "': " + close.getReplyCode() + " "
								+ close.getReplyText() + " (checked again after " + this.expiry.toMillis() + " ms)");
				this.checks.put(exchange, new Check(this.nanoTime.getAsLong(), missing));
				return missing;
			}
		}
		return failure;
	}

	private boolean fresh(Check check) {
		return this.nanoTime.getAsLong() - check.at() < this.expiryNanos;
	}

	private record Check(long at, @Nullable RuntimeException missing) {
	}

}
