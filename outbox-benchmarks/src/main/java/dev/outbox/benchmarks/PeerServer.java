package dev.outbox.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicLong;

import dev.outbox.test.TestKafka;

/**
 * The main loop of a peer's JVM ({@code compare-peer <id> <options>}): starts the peer
 * and the consumer of its topic, then runs the workloads the coordinating JVM names on
 * its standard input, one per line ({@code <workload> <round>}), and answers each on its
 * standard output with one {@link PeerProcess#RESULT} line.
 */
final class PeerServer {

	private PeerServer() {
	}

	static void run(String[] args) {
		String id = args[0];
		CompareOptions options = CompareOptions.parse(Arrays.copyOfRange(args, 1, args.length));
		try (Peer peer = create(id);
				TopicProbe probe = new TopicProbe(TestKafka.bootstrapServers(), peer.topic());
				BufferedReader commands = new BufferedReader(
						new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
			PeerBench bench = new PeerBench(peer, probe, options, new AtomicLong());
			answer(PeerProcess.READY, peer.displayName(), peer.databaseVersion());
			String command;
			while ((command = commands.readLine()) != null && !command.equals(PeerProcess.QUIT)) {
				String[] words = command.split(" ");
				try {
					Map<String, Double> metrics = Workload.named(words[0]).run(bench, Integer.parseInt(words[1]));
					StringJoiner line = new StringJoiner("\t");
					metrics.forEach((metric, value) -> line.add(metric).add(String.valueOf(value)));
					answer(PeerProcess.RESULT, line.toString());
				}
				catch (RuntimeException ex) {
					ex.printStackTrace();
					answer(PeerProcess.ERROR, String.valueOf(ex.getMessage()).replace('\n', ' '));
				}
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException("Could not read the coordinator's commands", ex);
		}
	}

	private static Peer create(String id) {
		return switch (id) {
			case OutboxPeer.ID -> new OutboxPeer();
			case ModulithPeer.ID -> new ModulithPeer();
			case NamastackPeer.ID -> new NamastackPeer();
			default -> throw new IllegalArgumentException("No peer " + id);
		};
	}

	private static void answer(String kind, String... fields) {
		StringJoiner line = new StringJoiner("\t", kind + "\t", "");
		Arrays.stream(fields).forEach(line::add);
		System.out.println(line);
		System.out.flush();
	}

}
