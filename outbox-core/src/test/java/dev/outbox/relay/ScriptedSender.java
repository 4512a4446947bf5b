package dev.outbox.relay;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;

/**
 * A sender whose outcome per message a test scripts (confirmed by default), and which
 * records the payloads of each {@code sendAll} call.
 */
final class ScriptedSender implements OutboxSender {

	private final String name;

	private final boolean keepsKeyOrderInFlight;

	private Function<OutboxMessage, CompletableFuture<Void>> outcome = (message) -> CompletableFuture
		.completedFuture(null);

	final List<List<String>> calls = new ArrayList<>();

	ScriptedSender(String name, boolean keepsKeyOrderInFlight) {
		this.name = name;
		this.keepsKeyOrderInFlight = keepsKeyOrderInFlight;
	}

	static ScriptedSender waves() {
		return new ScriptedSender("test", false);
	}

	static ScriptedSender pipelining() {
		return new ScriptedSender("test", true);
	}

	ScriptedSender outcome(Function<OutboxMessage, CompletableFuture<Void>> outcome) {
		this.outcome = outcome;
		return this;
	}

	ScriptedSender failing(String payload, RuntimeException failure) {
		return outcome((message) -> payload(message).equals(payload) ? CompletableFuture.failedFuture(failure)
				: CompletableFuture.completedFuture(null));
	}

	static String payload(OutboxMessage message) {
		return new String(message.payload(), StandardCharsets.UTF_8);
	}

	List<String> sent() {
		return this.calls.stream().flatMap(List::stream).toList();
	}

	@Override
	public String name() {
		return this.name;
	}

	@Override
	public CompletableFuture<Void> send(OutboxMessage message) {
		return sendAll(List.of(message)).get(0);
	}

	@Override
	public List<CompletableFuture<Void>> sendAll(List<OutboxMessage> messages) {
		this.calls.add(messages.stream().map(ScriptedSender::payload).toList());
		return messages.stream().map(this.outcome).toList();
	}

	@Override
	public boolean keepsKeyOrderInFlight() {
		return this.keepsKeyOrderInFlight;
	}

}
