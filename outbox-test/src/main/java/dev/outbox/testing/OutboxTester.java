package dev.outbox.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import javax.sql.DataSource;

import dev.outbox.OutboxTables;
import dev.outbox.relay.OutboxRelay;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.JdbcTemplate;

/**
 * What an application's tests need from the outbox: wait until every event committed so
 * far is delivered, run the relay on the test's thread, and see what the relay sent.
 * Auto-configured when {@code outbox-test} is on the classpath; inject it into a
 * {@code @SpringBootTest}.
 */
public final class OutboxTester {

	private static final int SHOWN_ROWS = 20;

	private static final long POLL_MILLIS = 20;

	private final JdbcTemplate jdbc;

	private final String table;

	private final Supplier<@Nullable OutboxRelay> relay;

	private final Supplier<List<OutboxSender>> senders;

	OutboxTester(DataSource dataSource, OutboxTables tables, Supplier<@Nullable OutboxRelay> relay,
			Supplier<List<OutboxSender>> senders) {
		this.jdbc = new JdbcTemplate(dataSource);
		this.table = tables.qualifiedEventTable();
		this.relay = relay;
		this.senders = senders;
	}

	/**
	 * Wait until every event committed before this call is delivered. A running relay is
	 * woken; a relay that is not started ({@code outbox.relay.auto-startup=false}) is run
	 * on this thread. Events committed after the call are not waited for, nor are events
	 * past their expiry (never sent: the relay marks them {@code EXPIRED}).
	 * @param timeout how long to wait
	 * @throws AssertionError at once if one of these events is parked, or when the
	 * timeout passes with some still pending; the message lists them (id, type,
	 * destination, key, attempts, last error; never the payload)
	 */
	public void awaitDrained(Duration timeout) {
		requireNonNull(timeout, "timeout");
		Long last = this.jdbc.queryForObject("select max(seq) from " + this.table, Long.class);
		if (last == null) {
			return;
		}
		long deadline = System.nanoTime() + timeout.toNanos();
		while (true) {
			List<String> open = new ArrayList<>();
			boolean[] parked = { false };
			this.jdbc.query("select id, status, event_type, destination, message_key, attempts, last_error from "
					+ this.table + " where seq <= ? and status in ('PENDING', 'PARKED')"
					+ " and (expires_at is null or expires_at > now()) order by seq limit ?", (rs) -> {
						parked[0] |= "PARKED".equals(rs.getString(2));
						open.add(
								rs.getString(2) + " " + rs.getString(1) + " (type " + rs.getString(3) + ", destination "
										+ rs.getString(4) + ", key " + rs.getString(5) + ", attempts " + rs.getInt(6)
										+ ((rs.getString(7) != null) ? ", last error: " + rs.getString(7) : "") + ")");
					}, last, SHOWN_ROWS + 1);
			if (open.isEmpty()) {
				return;
			}
			if (parked[0]) {
				throw new AssertionError(
						"The outbox cannot drain: events are parked (replay or discard them)" + describe(open));
			}
			if (System.nanoTime() - deadline > 0) {
				throw new AssertionError("The outbox did not drain within " + timeout + describe(open));
			}
			OutboxRelay current = this.relay.get();
			if (current != null && !current.isRunning()) {
				current.deliverDue();
			}
			else if (current != null) {
				current.wakeUp();
			}
			sleep();
		}
	}

	/**
	 * Run the relay on the calling thread until no due event is left: events whose
	 * delivery fails are recorded as failed (backoff, parking), not retried. Works
	 * whether or not the relay was started.
	 * @throws IllegalStateException if the relay is disabled
	 */
	public void deliverNow() {
		OutboxRelay current = this.relay.get();
		if (current == null) {
			throw new IllegalStateException(
					"No outbox relay in this application: remove outbox.relay.enabled=false to deliver events");
		}
		current.deliverDue();
	}

	/**
	 * The messages the relay sent and the broker confirmed (or, with
	 * {@code outbox.test.send-to-broker=false}, every message the relay sent), in the
	 * order they were confirmed.
	 * @return the messages
	 */
	public List<OutboxMessage> published() {
		List<OutboxMessage> all = new ArrayList<>();
		recorders().forEach((recorder) -> all.addAll(recorder.recorded()));
		return all;
	}

	/**
	 * The sent messages of one logical event type.
	 * @param eventType the event type, as recorded by {@code Outbox.publish}
	 * @return the messages
	 */
	public List<OutboxMessage> published(String eventType) {
		requireNonNull(eventType, "eventType");
		return published().stream().filter((message) -> message.eventType().equals(eventType)).toList();
	}

	/**
	 * Forget the recorded messages, for example between tests that share an application
	 * context.
	 */
	public void clearPublished() {
		recorders().forEach(RecordingOutboxSender::clear);
	}

	private List<RecordingOutboxSender> recorders() {
		return this.senders.get()
			.stream()
			.filter(RecordingOutboxSender.class::isInstance)
			.map(RecordingOutboxSender.class::cast)
			.toList();
	}

	private static String describe(List<String> open) {
		StringBuilder message = new StringBuilder(":");
		open.stream().limit(SHOWN_ROWS).forEach((row) -> message.append("\n  ").append(row));
		if (open.size() > SHOWN_ROWS) {
			message.append("\n  ...");
		}
		return message.toString();
	}

	private static void requireNonNull(@Nullable Object value, String name) {
		if (value == null) {
			throw new IllegalArgumentException(name + " must not be null");
		}
	}

	private static void sleep() {
		try {
			TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for the outbox to drain", ex);
		}
	}

}
