package dev.outbox.benchmarks;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Creates the peers' topics up front, {@value #PARTITIONS} partitions each: an idempotent
 * producer's first batches to a topic that the broker is still auto-creating can be
 * rejected until they expire, which would count against whichever peer came first.
 */
final class CompareTopics {

	static final int PARTITIONS = 4;

	private static final long TIMEOUT_SECONDS = 30;

	private CompareTopics() {
	}

	static void create(String bootstrapServers, List<String> topics) {
		try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
			admin.createTopics(topics.stream().map((topic) -> new NewTopic(topic, PARTITIONS, (short) 1)).toList())
				.all()
				.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
			while (!haveLeaders(admin, topics)) {
				if (System.nanoTime() > deadline) {
					throw new IllegalStateException(
							"Topics " + topics + " have no leaders after " + TIMEOUT_SECONDS + " s");
				}
				PeerBench.sleep(TimeUnit.MILLISECONDS.toNanos(100));
			}
		}
		catch (ExecutionException | TimeoutException ex) {
			throw new IllegalStateException("Could not create the topics " + topics, ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while creating the topics", ex);
		}
	}

	private static boolean haveLeaders(Admin admin, List<String> topics) throws InterruptedException {
		try {
			return admin.describeTopics(topics)
				.allTopicNames()
				.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
				.values()
				.stream()
				.allMatch((topic) -> topic.partitions().stream().allMatch((p) -> p.leader() != null));
		}
		catch (ExecutionException | TimeoutException ex) {
			// a topic the broker has just created can be unknown to its metadata a while
			return false;
		}
	}

}
