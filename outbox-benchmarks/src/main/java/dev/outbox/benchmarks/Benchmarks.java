package dev.outbox.benchmarks;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import dev.outbox.test.TestPostgres;

/**
 * Runs a benchmark chosen by the first argument; the remaining arguments go to it.
 */
public final class Benchmarks {

	/**
	 * The command that runs one peer of {@code compare} in a JVM of its own; not a
	 * benchmark.
	 */
	static final String PEER_COMMAND = "compare-peer";

	private static final Map<String, Consumer<String[]>> BENCHMARKS = new LinkedHashMap<>();

	static {
		BENCHMARKS.put("write", WriteBenchmark::run);
		BENCHMARKS.put("write-concurrency", WriteConcurrencyBenchmark::run);
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
		if (args.length > 1 && args[0].equals(PEER_COMMAND)) {
			benchmark = PeerServer::run;
		}
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

	/**
	 * The value of an integer option ({@code --name value}) of a benchmark.
	 * @param args the benchmark's arguments
	 * @param name the option, for example {@code --transactions}
	 * @param defaultValue the value without the option
	 * @return the value
	 */
	static int intOption(String[] args, String name, int defaultValue) {
		for (int i = 0; i < args.length - 1; i++) {
			if (args[i].equals(name)) {
				return Integer.parseInt(args[i + 1]);
			}
		}
		return defaultValue;
	}

	/**
	 * The settings of a benchmark's Spring Boot application with JPA on the given test
	 * database: no web server, quiet, the entity tables created by Hibernate, no Flyway
	 * of the application's own.
	 * @param database the test database and schema
	 * @return the properties, to add to
	 */
	static Map<String, Object> jpaApplicationProperties(TestPostgres.Database database) {
		Map<String, Object> properties = new LinkedHashMap<>(database.springProperties());
		properties.put("spring.main.web-application-type", "none");
		properties.put("spring.main.banner-mode", "off");
		properties.put("logging.level.root", "warn");
		properties.put("spring.jpa.hibernate.ddl-auto", "create");
		properties.put("spring.jpa.open-in-view", "false");
		properties.put("spring.flyway.enabled", "false");
		return properties;
	}

}
