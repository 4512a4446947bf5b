package dev.outbox.benchmarks;

import java.util.List;
import java.util.Map;

/**
 * One workload of {@code compare}, run in a peer's JVM against its {@link Peer}.
 */
interface Workload {

	/**
	 * The workloads in the order each round runs them.
	 */
	List<Workload> ALL = List.of(new WriteOverheadWorkload(), new ConcurrentWritesWorkload(),
			new BacklogDrainWorkload(), new LatencyWorkload(), new KeyOrderWorkload());

	/**
	 * The name the coordinating JVM asks for it by.
	 * @return the name
	 */
	String name();

	/**
	 * Run the workload once; every event it writes is delivered when it returns.
	 * @param bench the peer and what goes with it
	 * @param round the round, from 1
	 * @return metric (the table's row label, with its unit) to value, in table order
	 */
	Map<String, Double> run(PeerBench bench, int round);

	static Workload named(String name) {
		return ALL.stream()
			.filter((workload) -> workload.name().equals(name))
			.findFirst()
			.orElseThrow(() -> new IllegalArgumentException("No workload named " + name));
	}

}
