package dev.outbox.benchmarks;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.outbox.test.TestKafka;
import org.slf4j.LoggerFactory;

/**
 * The outbox, Spring Modulith's event publication registry with Kafka externalization and
 * Namastack Outbox side by side: the same workloads and ~1 KB JSON events, the same
 * PostgreSQL server and Kafka broker, each peer in a JVM of its own ({@link PeerProcess})
 * with its own schema. Each round runs every {@link Workload} on every peer, the peers'
 * order rotated per round; the table shows the median of the rounds and the ratio outbox
 * ÷ peer. Options: see {@link CompareOptions}.
 */
final class CompareBenchmark {

	private CompareBenchmark() {
	}

	static void run(String[] args) {
		compare(CompareOptions.parse(args), System.out);
	}

	/**
	 * Run the comparison and print its table.
	 * @param options the options
	 * @param out where to print the table
	 * @return the figures
	 */
	static CompareReport compare(CompareOptions options, PrintStream out) {
		quietLogging();
		String loadBefore = loadAverage();
		long started = System.nanoTime();
		String bootstrapServers = TestKafka.bootstrapServers();
		CompareTopics.create(bootstrapServers, List.of(OutboxPeer.TOPIC, ModulithPeer.TOPIC, NamastackPeer.TOPIC));
		List<PeerProcess> peers = new ArrayList<>();
		try {
			options.peers().forEach((id) -> peers.add(new PeerProcess(id, options, bootstrapServers)));
			peers.forEach(PeerProcess::awaitReady);
			System.out.printf("compare: %s, Java %s, %d CPUs, %s, load average %s%n", LocalDate.now(),
					System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
					peers.get(0).databaseVersion(), loadBefore);
			CompareReport report = new CompareReport(options.peers());
			for (int round = 1; round <= options.rounds(); round++) {
				List<PeerProcess> order = rotated(peers, round - 1);
				System.out.printf("round %d of %d: %s%n", round, options.rounds(),
						String.join(", ", order.stream().map(PeerProcess::id).toList()));
				for (Workload workload : Workload.ALL) {
					if (!options.workloads().contains(workload.name())) {
						continue;
					}
					for (PeerProcess peer : order) {
						report.add(peer.id(), peer.run(workload.name(), round));
					}
				}
			}
			Map<String, String> names = new LinkedHashMap<>();
			peers.forEach((peer) -> names.put(peer.id(), peer.displayName()));
			System.out.printf(
					"%n%s; %d round%s, medians; ratio = outbox ÷ peer. Load average %s before, %s after;"
							+ " %.0f s in all.%n%n",
					String.join(" vs ", names.values()), options.rounds(), (options.rounds() == 1) ? "" : "s",
					loadBefore, loadAverage(), (System.nanoTime() - started) / 1e9);
			report.print(out, names);
			return report;
		}
		finally {
			peers.forEach(PeerProcess::close);
		}
	}

	private static <T> List<T> rotated(List<T> list, int by) {
		List<T> rotated = new ArrayList<>(list);
		Collections.rotate(rotated, -by);
		return rotated;
	}

	// this JVM has no Spring Boot application to set the levels: the in-process broker
	// would log every partition it creates, and its shutdown hook races with the
	// deletion of its directory
	private static void quietLogging() {
		if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
			logback.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
			logback.getLogger("kafka").setLevel(Level.OFF);
			logback.getLogger("org.apache.kafka").setLevel(Level.OFF);
			logback.getLogger("state.change.logger").setLevel(Level.OFF);
		}
	}

	static String loadAverage() {
		try {
			String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
			return String.join(" ", Arrays.copyOf(fields, 3));
		}
		catch (Exception ex) {
			return "unknown";
		}
	}

}
