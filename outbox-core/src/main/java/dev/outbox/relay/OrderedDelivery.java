package dev.outbox.relay;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;
import org.jspecify.annotations.Nullable;

/**
 * The delivery stage of the relay pipeline: sends a batch through the senders of its
 * destinations, keeping the order of each (destination, key), awaits the confirms until
 * the send timeout, and tells what became of each event. It records nothing.
 * <p>
 * The batch goes out in waves: first the head (first event) of every key, in bulk; then,
 * once a key's event is confirmed, its next event, together with the next events of all
 * other keys whose previous one was confirmed. A failing event never lets the rest of its
 * key overtake it (they stay pending behind it, unsent, and only that first failure
 * counts), and a backlog spread over many keys needs one confirm round trip per event of
 * the busiest key, not one per event. Once the send timeout is used up, the rest of a key
 * is left unsent for the next batch (a send can block in the producer far longer while
 * the broker is unreachable).
 * <p>
 * A sender that {@linkplain OutboxSender#keepsKeyOrderInFlight() keeps a key's order in
 * flight} gets all of its events of the batch at once, in batch order, and they are
 * awaited in order: per key, the confirmed prefix is published, the first unconfirmed
 * event fails, and the later ones are held back without an attempt counted, even if
 * confirmed (sent again later: a duplicate, never a reordering).
 * <p>
 * An {@link Error} of a sender, thrown or completing a future, propagates: it is the
 * relay's failure, not the events' (see {@link RelayLoop}).
 */
final class OrderedDelivery {

	private final RelaySettings.Routes routes;

	private final Duration sendTimeout;

	private final Clock clock;

	OrderedDelivery(RelaySettings.Routes routes, Duration sendTimeout, Clock clock) {
		this.routes = routes;
		this.sendTimeout = sendTimeout;
		this.clock = clock;
	}

	/**
	 * Send a batch and await its confirms.
	 * @param batch the events, in seq order
	 * @return what became of each event
	 */
	DeliveryOutcome deliver(List<ClaimedEvent> batch) {
		Instant deadline = this.clock.instant().plus(this.sendTimeout);
		List<Integer> pipelined = new ArrayList<>();
		List<Integer> inWaves = new ArrayList<>();
		for (int i = 0; i < batch.size(); i++) {
			OutboxSender sender = this.routes.senderFor(batch.get(i).message().destination());
			((sender != null && sender.keepsKeyOrderInFlight()) ? pipelined : inWaves).add(i);
		}
		Results results = new Results(batch.size());
		List<@Nullable CompletableFuture<Void>> futures = new ArrayList<>(Collections.nCopies(batch.size(), null));
		// the pipelined events travel while the waves go
		send(batch, pipelined, futures);
		deliverInWaves(batch, inWaves, futures, deadline, results);
		awaitPipelined(batch, pipelined, futures, deadline, results);
		return new DeliveryOutcome(results.confirmed, this.clock.instant(), results.failed, results.heldBack,
				results.leftOver);
	}

	/**
	 * Send events in waves: a key's next event once the one before it is confirmed.
	 */
	private void deliverInWaves(List<ClaimedEvent> batch, List<Integer> indexes,
			List<@Nullable CompletableFuture<Void>> futures, Instant deadline, Results results) {
		int[] previousOfKey = new int[batch.size()];
		boolean[] notConfirmed = new boolean[batch.size()];
		boolean[] leftOver = new boolean[batch.size()];
		for (List<Integer> wave : waves(batch, indexes, previousOfKey)) {
			List<Integer> toSend = new ArrayList<>(wave.size());
			for (int i : wave) {
				int previous = previousOfKey[i];
				if (previous < 0) {
					toSend.add(i);
				}
				else if (leftOver[previous] || (!notConfirmed[previous] && !this.clock.instant().isBefore(deadline))) {
					// the send timeout is used up: the rest of the key waits for the next
					// batch, unsent and without an attempt counted
					leftOver[i] = true;
					results.leftOver.add(batch.get(i));
				}
				else if (notConfirmed[previous]) {
					notConfirmed[i] = true;
					results.heldBack.add(batch.get(i));
				}
				else {
					toSend.add(i);
				}
			}
			send(batch, toSend, futures);
			for (int i : toSend) {
				Throwable failure = await(Objects.requireNonNull(futures.get(i)), deadline);
				if (failure == null) {
					results.confirmed.add(batch.get(i));
				}
				else {
					notConfirmed[i] = true;
					results.failed.add(new DeliveryOutcome.FailedDelivery(batch.get(i), failure));
				}
			}
		}
	}

	/**
	 * Await events that were sent all at once through senders that keep a key's order in
	 * flight, in batch order: per key, the confirmed prefix is published, the first
	 * unconfirmed event failed, and every later event held back, even if confirmed (it is
	 * sent again later: a duplicate, never a reordering).
	 */
	private void awaitPipelined(List<ClaimedEvent> batch, List<Integer> indexes,
			List<@Nullable CompletableFuture<Void>> futures, Instant deadline, Results results) {
		Set<ClaimedEvent.OrderKey> failedKeys = new HashSet<>();
		for (int i : indexes) {
			ClaimedEvent event = batch.get(i);
			if (failedKeys.contains(event.orderKey())) {
				results.heldBack.add(event);
				continue;
			}
			Throwable failure = await(Objects.requireNonNull(futures.get(i)), deadline);
			if (failure == null) {
				results.confirmed.add(event);
			}
			else {
				failedKeys.add(event.orderKey());
				results.failed.add(new DeliveryOutcome.FailedDelivery(event, failure));
			}
		}
	}

	/**
	 * Group events of a batch by their position within their key (per destination): wave
	 * 0 holds the first event of every key, wave 1 the second ones, and so on, each in
	 * batch order. {@code previousOfKey} gets, per event, the index of the event before
	 * it of the same destination and key ({@code -1} for a first one).
	 */
	private static List<List<Integer>> waves(List<ClaimedEvent> batch, List<Integer> indexes, int[] previousOfKey) {
		List<List<Integer>> waves = new ArrayList<>();
		int[] rank = new int[batch.size()];
		Map<ClaimedEvent.OrderKey, Integer> lastOfKey = new HashMap<>();
		for (int i : indexes) {
			Integer previous = lastOfKey.put(batch.get(i).orderKey(), i);
			previousOfKey[i] = (previous != null) ? previous : -1;
			rank[i] = (previous != null) ? rank[previous] + 1 : 0;
			if (rank[i] == waves.size()) {
				waves.add(new ArrayList<>());
			}
			waves.get(rank[i]).add(i);
		}
		return waves;
	}

	/**
	 * Start sending the given events of a batch, in bulk per sender, and put their
	 * futures at their indexes.
	 */
	private void send(List<ClaimedEvent> batch, List<Integer> indexes,
			List<@Nullable CompletableFuture<Void>> futures) {
		Map<OutboxSender, List<Integer>> bySender = new LinkedHashMap<>();
		for (int i : indexes) {
			OutboxSender sender = this.routes.senderFor(batch.get(i).message().destination());
			if (sender == null) {
				futures.set(i, CompletableFuture.failedFuture(this.routes.noSender(batch.get(i).message())));
			}
			else {
				bySender.computeIfAbsent(sender, (s) -> new ArrayList<>()).add(i);
			}
		}
		bySender.forEach((sender, senderIndexes) -> {
			List<OutboxMessage> messages = senderIndexes.stream().map((i) -> batch.get(i).message()).toList();
			List<CompletableFuture<Void>> sent;
			try {
				sent = sender.sendAll(messages);
			}
			// an Error propagates: the relay's failure, not the events'
			catch (RuntimeException ex) {
				sent = messages.stream().map((m) -> CompletableFuture.<Void>failedFuture(ex)).toList();
			}
			for (int j = 0; j < senderIndexes.size(); j++) {
				futures.set(senderIndexes.get(j), sent.get(j));
			}
		});
	}

	/**
	 * Wait for a confirm until the deadline.
	 * @return {@code null} if confirmed, else the failure
	 */
	private @Nullable Throwable await(CompletableFuture<Void> future, Instant deadline) {
		try {
			long remaining = Math.max(0, Duration.between(this.clock.instant(), deadline).toMillis());
			future.get(remaining, TimeUnit.MILLISECONDS);
			return null;
		}
		catch (TimeoutException ex) {
			future.cancel(false);
			return new TimeoutException(
					"No broker confirm within the send timeout of " + this.sendTimeout.toMillis() + " ms");
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof Error error) {
				// the relay's failure, not the event's: no attempt counted
				throw error;
			}
			return (ex.getCause() != null) ? ex.getCause() : ex;
		}
		catch (CancellationException ex) {
			return ex;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return ex;
		}
	}

	private static final class Results {

		final List<ClaimedEvent> confirmed;

		final List<DeliveryOutcome.FailedDelivery> failed = new ArrayList<>();

		final List<ClaimedEvent> heldBack = new ArrayList<>();

		final List<ClaimedEvent> leftOver = new ArrayList<>();

		Results(int size) {
			this.confirmed = new ArrayList<>(size);
		}

	}

}
