package dev.outbox.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The options of {@code compare}, parsed once by the coordinating JVM and handed on, as
 * the same arguments, to each peer's JVM.
 * <p>
 * {@code --quick} runs one small round (a smoke run of about a minute); every option
 * below overrides the chosen defaults: {@code --rounds N} (3), {@code --transactions N}
 * write-overhead transactions per variant (2000), {@code --writers 1,8,32} and
 * {@code --write-seconds S} (3) for concurrent writes, {@code --events N} (20000) and
 * {@code --keys N} (1000) for the backlog drain, {@code --rate R} (500) and
 * {@code --seconds S} (10) for the commit-to-consumer latency, {@code --probe-events N}
 * (2000) for the per-key order probe, {@code --peers outbox,modulith,namastack},
 * {@code --workloads write-overhead,latency,...} (all, see {@link Workload#ALL}; for
 * example {@code --workloads latency} measures only the commit-to-consumer latency).
 *
 * @param rounds interleaved rounds, each running every workload on every peer
 * @param transactions measured transactions per write-overhead variant
 * @param writers writer thread counts of the concurrent-write workload
 * @param writeSeconds seconds per writer count
 * @param events events of the backlog drain
 * @param keys keys of the backlog drain
 * @param rate events per second of the latency workload
 * @param seconds seconds of the latency workload
 * @param probeEvents events of the per-key order probe
 * @param peers the peers to run, by id
 * @param workloads the workloads each round runs, by name, in {@link Workload#ALL}'s
 * order
 */
record CompareOptions(int rounds, int transactions, int[] writers, int writeSeconds, int events, int keys, int rate,
		int seconds, int probeEvents, List<String> peers, List<String> workloads) {

	/**
	 * The peers, in the order of the table's columns.
	 */
	static final List<String> ALL_PEERS = List.of(OutboxPeer.ID, ModulithPeer.ID, NamastackPeer.ID);

	CompareOptions {
		if (rounds < 1 || transactions < 10 || writers.length == 0 || writeSeconds < 1 || events < 1 || keys < 1
				|| rate < 1 || seconds < 1 || probeEvents < 2) {
			throw new IllegalArgumentException("compare: every count must be positive (--rounds, --transactions, "
					+ "--writers, --write-seconds, --events, --keys, --rate, --seconds) and --probe-events at least 2");
		}
		for (String peer : peers) {
			if (!ALL_PEERS.contains(peer)) {
				throw new IllegalArgumentException(
						"compare: unknown peer '" + peer + "' in --peers; choose from " + String.join(",", ALL_PEERS));
			}
		}
		List<String> names = Workload.ALL.stream().map(Workload::name).toList();
		for (String workload : workloads) {
			if (!names.contains(workload)) {
				throw new IllegalArgumentException("compare: unknown workload '" + workload
						+ "' in --workloads; choose from " + String.join(",", names));
			}
		}
	}

	/**
	 * Parse the arguments of {@code compare}.
	 * @param args the arguments
	 * @return the options
	 */
	static CompareOptions parse(String[] args) {
		boolean quick = Arrays.asList(args).contains("--quick");
		return new CompareOptions(Benchmarks.intOption(args, "--rounds", quick ? 1 : 3),
				Benchmarks.intOption(args, "--transactions", quick ? 200 : 2000),
				ints(stringOption(args, "--writers", quick ? "1,8" : "1,8,32")),
				Benchmarks.intOption(args, "--write-seconds", quick ? 1 : 3),
				Benchmarks.intOption(args, "--events", quick ? 1000 : 20_000),
				Benchmarks.intOption(args, "--keys", quick ? 100 : 1000),
				Benchmarks.intOption(args, "--rate", quick ? 100 : 500),
				Benchmarks.intOption(args, "--seconds", quick ? 2 : 10),
				Benchmarks.intOption(args, "--probe-events", quick ? 200 : 2000),
				List.of(stringOption(args, "--peers", String.join(",", ALL_PEERS)).split(",")),
				List.of(stringOption(args, "--workloads",
						String.join(",", Workload.ALL.stream().map(Workload::name).toList()))
					.split(",")));
	}

	/**
	 * The arguments that {@link #parse(String[])} turns into these options.
	 * @return the arguments
	 */
	String[] toArgs() {
		List<String> args = new ArrayList<>();
		add(args, "--rounds", this.rounds);
		add(args, "--transactions", this.transactions);
		args.add("--writers");
		args.add(String.join(",", Arrays.stream(this.writers).mapToObj(String::valueOf).toList()));
		add(args, "--write-seconds", this.writeSeconds);
		add(args, "--events", this.events);
		add(args, "--keys", this.keys);
		add(args, "--rate", this.rate);
		add(args, "--seconds", this.seconds);
		add(args, "--probe-events", this.probeEvents);
		args.add("--peers");
		args.add(String.join(",", this.peers));
		args.add("--workloads");
		args.add(String.join(",", this.workloads));
		return args.toArray(String[]::new);
	}

	private static void add(List<String> args, String name, int value) {
		args.add(name);
		args.add(String.valueOf(value));
	}

	private static String stringOption(String[] args, String name, String defaultValue) {
		for (int i = 0; i < args.length - 1; i++) {
			if (args[i].equals(name)) {
				return args[i + 1];
			}
		}
		return defaultValue;
	}

	private static int[] ints(String list) {
		return Arrays.stream(list.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
	}

}
