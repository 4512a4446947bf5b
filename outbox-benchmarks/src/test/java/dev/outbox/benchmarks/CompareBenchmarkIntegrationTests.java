package dev.outbox.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The wiring of {@code compare} in its quick mode with a few hundred events: every peer
 * starts in a JVM of its own against the real PostgreSQL and an in-process Kafka broker,
 * runs every workload, and the table has a figure for each.
 */
class CompareBenchmarkIntegrationTests {

	@Test
	void runsEveryWorkloadOnEveryPeerAndPrintsOneTable() {
		CompareOptions options = CompareOptions.parse(new String[] { "--quick", "--transactions", "20", "--writers",
				"1,4", "--events", "200", "--keys", "20", "--rate", "50", "--seconds", "1", "--probe-events", "40" });
		ByteArrayOutputStream table = new ByteArrayOutputStream();
		CompareReport report = CompareBenchmark.compare(options, new PrintStream(table, true, StandardCharsets.UTF_8));
		assertThat(report.metrics()).hasSize(10)
			.anyMatch((metric) -> metric.startsWith("Write: overhead of the event"))
			.anyMatch((metric) -> metric.startsWith("Concurrent writes, 4 writers"))
			.anyMatch((metric) -> metric.startsWith("Drain: backlog of 200 events over 20 keys"))
			.anyMatch((metric) -> metric.startsWith("Commit-to-consumer at 50 events/s, p99"))
			.anyMatch((metric) -> metric.startsWith("Order probe"));
		for (String metric : report.metrics()) {
			for (String peer : CompareOptions.ALL_PEERS) {
				assertThat(report.median(metric, peer)).as("%s of %s", metric, peer).isNotNaN();
			}
		}
		String orderProbe = report.metrics().get(report.metrics().size() - 1);
		assertThat(report.median(orderProbe, OutboxPeer.ID)).isZero();
		assertThat(table.toString(StandardCharsets.UTF_8))
			.contains("| metric | outbox | Spring Modulith 2.1.1 | Namastack Outbox 1.6.0 |");
	}

}
