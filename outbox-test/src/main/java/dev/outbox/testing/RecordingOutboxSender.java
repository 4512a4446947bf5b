package dev.outbox.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;

/**
 * Wraps one of the application's senders and records every message the broker confirmed,
 * or, when nothing may reach the broker, records every message and confirms it at once.
 */
final class RecordingOutboxSender implements OutboxSender {

	private final OutboxSender delegate;

	private final boolean sendToBroker;

	private final List<OutboxMessage> recorded = new CopyOnWriteArrayList<>();

	RecordingOutboxSender(OutboxSender delegate, boolean sendToBroker) {
		this.delegate = delegate;
		this.sendToBroker = sendToBroker;
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
		if (!this.sendToBroker) {
			this.recorded.addAll(messages);
			return messages.stream().map((message) -> CompletableFuture.<Void>completedFuture(null)).toList();
		}
		List<CompletableFuture<Void>> sent = this.delegate.sendAll(messages);
		List<CompletableFuture<Void>> recording = new ArrayList<>(sent.size());
		for (int i = 0; i < sent.size(); i++) {
			OutboxMessage message = messages.get(i);
			recording.add(sent.get(i).thenRun(() -> this.recorded.add(message)));
		}
		return recording;
	}

	List<OutboxMessage> recorded() {
		return this.recorded;
	}

	void clear() {
		this.recorded.clear();
	}

}
