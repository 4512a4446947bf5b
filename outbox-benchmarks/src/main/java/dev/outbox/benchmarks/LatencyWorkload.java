package dev.outbox.benchmarks;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Commit-to-consumer latency at a steady rate: {@value #WRITERS} paced writers commit one
 * event per transaction; the time runs from an after-commit callback that runs before any
 * other to the arrival of the record at a consumer of the topic in the same JVM. The
 * measured seconds follow unmeasured windows of {@value #WARM_UP_WINDOW_SECONDS} seconds
 * at the same rate, each delivered before the next starts, until the JIT compiler of the
 * peer's JVM (this one) spent less than a twentieth of a window compiling (at most six
 * times the measured seconds), so that a round measures warm code paths whatever ran
 * before it: on a slow machine the JIT takes a minute of this traffic to settle, and the
 * latency stays far above its warm level until then.
 */
final class LatencyWorkload implements Workload {

	private static final int WRITERS = 4;

	private static final int WARM_UP_WINDOW_SECONDS = 2;

	@Override
	public String name() {
		return "latency";
	}

	@Override
	public Map<String, Double> run(PeerBench bench, int round) {
		Peer peer = bench.peer();
		TopicProbe probe = bench.probe();
		int rate = bench.options().rate();
		int total = rate * bench.options().seconds();
		warmUp(bench, round);
		Map<String, Long> committed = new ConcurrentHashMap<>();
		probe.clear();
		writeAtRate(bench, round, total, committed);
		Stats stats = latencies(bench, committed);
		System.out.printf("latency: %s: %,d events at %,d events/s, commit-to-consumer %s%n", peer.id(), stats.count(),
				rate, stats.millis());
		Map<String, Double> metrics = new LinkedHashMap<>();
		metrics.put("Commit-to-consumer at %,d events/s, p50 ms".formatted(rate), stats.p50Millis());
		metrics.put("Commit-to-consumer at %,d events/s, p99 ms".formatted(rate), stats.p99Millis());
		return metrics;
	}

	/**
	 * Unmeasured windows at the options' rate until the JIT compiler spent less than a
	 * twentieth of a window compiling, or six times the measured seconds have passed.
	 */
	private static void warmUp(PeerBench bench, int round) {
		int rate = bench.options().rate();
		int maxSeconds = Math.max(2 * WARM_UP_WINDOW_SECONDS, 6 * bench.options().seconds());
		CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
		List<String> windows = new ArrayList<>();
		for (int seconds = WARM_UP_WINDOW_SECONDS;; seconds += WARM_UP_WINDOW_SECONDS) {
			long compiledBefore = jit.getTotalCompilationTime();
			Map<String, Long> committed = new ConcurrentHashMap<>();
			bench.probe().clear();
			writeAtRate(bench, round, rate * WARM_UP_WINDOW_SECONDS, committed);
			double median = latencies(bench, committed).p50Millis();
			long compiling = jit.getTotalCompilationTime() - compiledBefore;
			windows.add("%.2f ms (JIT %d ms)".formatted(median, compiling));
			if ((seconds >= 2 * WARM_UP_WINDOW_SECONDS && compiling < WARM_UP_WINDOW_SECONDS * 1000 / 20)
					|| seconds >= maxSeconds) {
				System.out.printf("latency: %s: warm-up %d s; median and JIT time of each %d s window: %s%n",
						bench.peer().id(), seconds, WARM_UP_WINDOW_SECONDS, String.join(", ", windows));
				return;
			}
		}
	}

	/**
	 * Wait for each committed event to reach the consumer, then for the peer to have
	 * recorded every delivery.
	 * @return the commit-to-consumer times
	 */
	private static Stats latencies(PeerBench bench, Map<String, Long> committed) {
		Peer peer = bench.peer();
		TopicProbe probe = bench.probe();
		long deadline = System.nanoTime() + PeerBench.DELIVERY_TIMEOUT.toNanos();
		List<Long> latencies = new ArrayList<>(committed.size());
		for (Map.Entry<String, Long> commit : committed.entrySet()) {
			Long arrival;
			while ((arrival = probe.arrival(commit.getKey())) == null) {
				if (System.nanoTime() > deadline) {
					throw new IllegalStateException(peer.id() + ": " + commit.getKey() + " did not reach the consumer");
				}
				PeerBench.sleep(TimeUnit.MILLISECONDS.toNanos(5));
			}
			latencies.add(Math.max(0, arrival - commit.getValue()));
		}
		peer.awaitDelivered(PeerBench.DELIVERY_TIMEOUT);
		return Stats.of(latencies);
	}

	/**
	 * Commit {@code total} single-event transactions at the options' rate, noting each
	 * one's commit time by its key.
	 */
	private static void writeAtRate(PeerBench bench, int round, int total, Map<String, Long> committed) {
		Peer peer = bench.peer();
		int rate = bench.options().rate();
		long start = System.nanoTime();
		PeerBench.runWriters(WRITERS, (writer) -> {
			for (int i = writer; i < total; i += WRITERS) {
				long wait = start + (long) (i * (1e9 / rate)) - System.nanoTime();
				if (wait > 0) {
					PeerBench.sleep(wait);
				}
				long id = bench.nextId();
				String key = TopicProbe.LATENCY_PREFIX + round + "-" + id;
				peer.transactions().executeWithoutResult((status) -> {
					PeerBench.afterCommit(() -> committed.put(key, System.nanoTime()));
					peer.publish(ComparedEvent.of(key, 0, id));
				});
			}
		});
	}

}
