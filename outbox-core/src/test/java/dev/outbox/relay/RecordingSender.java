package dev.outbox.relay;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;

/**
 * Wraps a real sender: counts what it is handed, fails the messages a predicate picks
 * (before they reach the broker), and records every message id handed to any sender
 * sharing the same {@code sends} map, so a test can prove no event was sent twice.
 */
final class RecordingSender implements OutboxSender {

	private final OutboxSender delegate;

	private final Predicate<OutboxMessage> failing;

	private final Map<UUID, AtomicInteger> sends;

	private final List<String> violations;

	final AtomicInteger sent = new AtomicInteger();

	RecordingSender(OutboxSender delegate, Predicate<OutboxMessage> failing, Map<UUID, AtomicInteger> sends,
			List<String> violations) {
		this.delegate = delegate;
		this.failing = failing;
		this.sends = sends;
		this.violations = violations;
	}

	static RecordingSender failing(OutboxSender delegate, Predicate<OutboxMessage> failing) {
		return new RecordingSender(delegate, failing, new ConcurrentHashMap<>(), new CopyOnWriteArrayList<>());
	}

	static Map<UUID, AtomicInteger> newSends() {
		return new ConcurrentHashMap<>();
	}

	static List<String> newViolations() {
		return new CopyOnWriteArrayList<>();
	}

	@Override
	public String name() {
		return this.delegate.name();
	}

	@Override
	public CompletableFuture<Void> send(OutboxMessage message) {
		return sendAll(List.of(message)).get(0);
	}

	@Override
	public List<CompletableFuture<Void>> sendAll(List<OutboxMessage> messages) {
		List<OutboxMessage> passing = new ArrayList<>();
		// the predicate is asked once per message: it may change its answer (fail a
		// first attempt only)
		boolean[] failed = new boolean[messages.size()];
		for (int i = 0; i < messages.size(); i++) {
			OutboxMessage message = messages.get(i);
			if (this.sends.computeIfAbsent(message.id(), (id) -> new AtomicInteger()).incrementAndGet() > 1) {
				this.violations.add("sent twice: " + message.id() + " key " + message.key());
			}
			failed[i] = this.failing.test(message);
			if (!failed[i]) {
				passing.add(message);
			}
		}
		this.sent.addAndGet(messages.size());
		List<CompletableFuture<Void>> delivered = this.delegate.sendAll(passing);
		List<CompletableFuture<Void>> futures = new ArrayList<>(messages.size());
		int next = 0;
		for (boolean fails : failed) {
			futures.add(fails ? CompletableFuture.failedFuture(new IllegalStateException("simulated broker rejection"))
					: delivered.get(next++));
		}
		return futures;
	}

	Set<UUID> sentIds() {
		return this.sends.keySet();
	}

}
