package dev.outbox.benchmarks;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs a benchmark chosen by the first argument; the remaining arguments go to it.
 */
public final class Benchmarks {

	private static final Map<String, Consumer<String[]>> BENCHMARKS = new LinkedHashMap<>();

	static {
		BENCHMARKS.put("write", WriteBenchmark::run);
		BENCHMARKS.put("relay-kafka", RelayBenchmarks::kafka);
		BENCHMARKS.put("relay-rabbit", RelayBenchmarks::rabbit);
		BENCHMARKS.put("relay-latency", RelayBenchmarks::latency);
		BENCHMARKS.put("compare", CompareBenchmark::run);
	}

	private Benchmarks() {
	}

	/**
	 * Run the benchmark named by {@code args[0]}.
	 * @param args the benchmark name, then its arguments
	 */
	public static void main(String[] args) {
		Consumer<String[]> benchmark = (args.length > 0) ? BENCHMARKS.get(args[0]) : null;
		if (benchmark == null) {
			System.err.println("Usage: java -jar outbox-benchmarks.jar <benchmark> [options]");
			System.err.println("Benchmarks: " + String.join(", ", BENCHMARKS.keySet()));
			System.exit(2);
			return;
		}
		try {
			benchmark.accept(Arrays.copyOfRange(args, 1, args.length));
		}
		catch (RuntimeException ex) {
			// the in-process broker's threads would keep a failed run's JVM alive
			ex.printStackTrace();
			System.exit(1);
			return;
		}
		System.exit(0);
	}

}
