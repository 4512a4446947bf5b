package dev.outbox.kafka;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import dev.outbox.relay.KafkaTestClient;
import dev.outbox.spi.OutboxMessage;
import org.apache.kafka.common.errors.TimeoutException;
import org.assertj.core.api.ThrowableAssertAlternative;
import org.junit.jupiter.api.Test;

import org.springframework.kafka.core.KafkaTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@link KafkaOutboxSender} against a broker that cannot be reached.
 */
class KafkaOutboxSenderTests {

	private static final Duration MAX_BLOCK = Duration.ofSeconds(2);

	@Test
	void batchToAnUnreachableBrokerBlocksOncePerTopicInParallelThenFailsAtOnce() throws IOException {
		KafkaTemplate<String, byte[]> template = KafkaTestClient.template("127.0.0.1:" + closedPort(), MAX_BLOCK);
		try {
			KafkaOutboxSender sender = new KafkaOutboxSender(template);
			List<OutboxMessage> messages = new ArrayList<>();
			IntStream.range(0, 5).forEach((i) -> messages.add(message("unreachable-a", "key-" + i)));
			messages.add(message("unreachable-b", "key-b"));
			long start = System.nanoTime();
			List<CompletableFuture<Void>> futures = sender.sendAll(messages);
			// the caller is not blocked: each topic waits for its metadata on its own
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(MAX_BLOCK);
			assertThat(futures).hasSize(6);
			Map<Integer, Long> completedAt = new ConcurrentHashMap<>();
			List<CompletableFuture<Void>> recorded = new ArrayList<>();
			for (int i = 0; i < futures.size(); i++) {
				int index = i;
				recorded.add(futures.get(i).whenComplete((result, ex) -> completedAt.put(index, System.nanoTime())));
			}
			// the recording futures, not the sends: a send's other dependents may run
			// before its recording does
			awaitAll(recorded);
			// one wait for each topic's metadata, side by side, not one after the other
			assertThat(Duration.ofNanos(Math.abs(completedAt.get(5) - completedAt.get(0))))
				.isLessThan(MAX_BLOCK.dividedBy(2));
			assertCause(futures.get(0)).isInstanceOf(TimeoutException.class);
			for (int i = 1; i < 5; i++) {
				assertThatExceptionOfType(ExecutionException.class).isThrownBy(futures.get(i)::get)
					.withMessageContaining("Not sent: an earlier send to topic 'unreachable-a' timed out")
					.havingRootCause()
					.isInstanceOf(TimeoutException.class);
			}
			// another topic is tried on its own
			assertCause(futures.get(5)).isInstanceOf(TimeoutException.class)
				.withMessageContaining("unreachable-b not present in metadata");
			// the next batch to the topic fails at once while its metadata is checked
			// again
			CompletableFuture<Void> next = sender.send(message("unreachable-a", "key-0"));
			assertThat(next).isCompletedExceptionally();
			assertThatExceptionOfType(ExecutionException.class).isThrownBy(next::get)
				.withMessageContaining("Not sent: an earlier send to topic 'unreachable-a' timed out");
		}
		finally {
			template.getProducerFactory().reset();
		}
	}

	private static void awaitAll(List<CompletableFuture<Void>> futures) {
		CompletableFuture<Void> all = CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new));
		assertThatExceptionOfType(ExecutionException.class)
			.isThrownBy(() -> all.get(MAX_BLOCK.multipliedBy(10).toMillis(), TimeUnit.MILLISECONDS));
	}

	private static ThrowableAssertAlternative<?> assertCause(CompletableFuture<Void> future) {
		return assertThatExceptionOfType(ExecutionException.class).isThrownBy(future::get).havingRootCause();
	}

	private static OutboxMessage message(String topic, String key) {
		return new OutboxMessage(UUID.randomUUID(), topic, null, "order", key, "order-placed", key,
				"{}".getBytes(StandardCharsets.UTF_8), "application/json", Map.of(), Instant.now());
	}

	private static int closedPort() throws IOException {
		try (ServerSocket socket = new ServerSocket()) {
			socket.bind(new InetSocketAddress("127.0.0.1", 0));
			return socket.getLocalPort();
		}
	}

}
