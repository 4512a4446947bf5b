package dev.outbox.test;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Busy loops in a child JVM, to run tests on a loaded machine: each loop keeps one core
 * busy, and as a separate process they compete with the test JVM and its children for the
 * CPU the way other builds on a shared CI machine do. {@link #close()} kills the child;
 * it also exits by itself when the JVM that started it dies (its standard input closes).
 * <p>
 * From the command line: {@code java -cp outbox-test-support/target/classes
 * dev.outbox.test.CpuLoad 2} runs two busy loops until interrupted; a second argument
 * stops them after that many seconds.
 */
public final class CpuLoad implements AutoCloseable {

	/**
	 * Environment variable holding the number of busy loops {@link Extension} runs beside
	 * each test class (none when unset or 0).
	 */
	public static final String ENVIRONMENT_VARIABLE = "OUTBOX_TEST_CPU_LOAD";

	/** System property that overrides {@link #ENVIRONMENT_VARIABLE}. */
	public static final String SYSTEM_PROPERTY = "outbox.test.cpu-load";

	static final String STARTED = "busy loops started:";

	private static final String WATCH_STDIN = "--until-stdin-closes";

	private static volatile long sink;

	private final Process process;

	private final int busyLoops;

	private CpuLoad(Process process, int busyLoops) {
		this.process = process;
		this.busyLoops = busyLoops;
	}

	/**
	 * Start busy loops in a child JVM and wait until they run.
	 * @param busyLoops the number of busy loops, one core each (at least 1)
	 * @return the running load; close it to stop the loops
	 * @throws IllegalArgumentException if {@code busyLoops} is less than 1
	 * @throws IllegalStateException if the child JVM does not start
	 */
	public static CpuLoad start(int busyLoops) {
		if (busyLoops < 1) {
			throw new IllegalArgumentException("busyLoops must be at least 1, was " + busyLoops);
		}
		String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
		List<String> command = new ArrayList<>(List.of(java, "-Xmx16m", "-XX:+UseSerialGC", "-cp", classPath(),
				CpuLoad.class.getName(), String.valueOf(busyLoops), "0", WATCH_STDIN));
		Process process;
		try {
			process = new ProcessBuilder(command).redirectErrorStream(true).start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start the CPU load JVM", ex);
		}
		CpuLoad load = new CpuLoad(process, busyLoops);
		try {
			// the child prints one line once its loops run; its output pipe is not read
			// afterwards, so it must print nothing else
			String line = readLine(process.getInputStream());
			if (!line.startsWith(STARTED)) {
				load.close();
				throw new IllegalStateException("The CPU load JVM did not start: " + line);
			}
		}
		catch (IOException ex) {
			load.close();
			throw new UncheckedIOException("Could not read the CPU load JVM's output", ex);
		}
		return load;
	}

	/**
	 * The number of busy loops asked for by the {@value #SYSTEM_PROPERTY} system
	 * property, or else the {@value #ENVIRONMENT_VARIABLE} environment variable.
	 * @return the number, 0 when neither is set
	 * @throws IllegalArgumentException if the value is not a non-negative integer
	 */
	public static int busyLoopsRequested() {
		String value = System.getProperty(SYSTEM_PROPERTY);
		String source = SYSTEM_PROPERTY;
		if (value == null || value.isBlank()) {
			value = System.getenv(ENVIRONMENT_VARIABLE);
			source = ENVIRONMENT_VARIABLE;
		}
		if (value == null || value.isBlank()) {
			return 0;
		}
		try {
			int loops = Integer.parseInt(value.trim());
			if (loops >= 0) {
				return loops;
			}
		}
		catch (NumberFormatException ex) {
			// reported below
		}
		throw new IllegalArgumentException(source + " must be a number of busy loops (0 or more), was '" + value
				+ "'; unset it to run without load");
	}

	/**
	 * The number of busy loops.
	 * @return the number
	 */
	public int busyLoops() {
		return this.busyLoops;
	}

	ProcessHandle process() {
		return this.process.toHandle();
	}

	/**
	 * Kill the child JVM and wait until it is gone.
	 */
	@Override
	public void close() {
		this.process.destroyForcibly();
		try {
			if (!this.process.waitFor(30, TimeUnit.SECONDS)) {
				throw new IllegalStateException("The CPU load JVM did not die within 30 seconds");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Run busy loops in this JVM.
	 * @param args the number of loops; optionally the seconds to run (0 or absent:
	 * forever)
	 */
	public static void main(String[] args) throws Exception {
		if (args.length < 1) {
			System.err.println("Usage: java " + CpuLoad.class.getName() + " <busy loops> [<seconds>]");
			System.exit(2);
		}
		int loops = Integer.parseInt(args[0]);
		long seconds = (args.length > 1) ? Long.parseLong(args[1]) : 0;
		boolean watchStdin = args.length > 2 && args[2].equals(WATCH_STDIN);
		for (int i = 0; i < loops; i++) {
			Thread thread = new Thread(CpuLoad::spin, "busy-loop-" + i);
			thread.setDaemon(true);
			thread.start();
		}
		System.out.println(STARTED + " " + loops);
		System.out.flush();
		if (watchStdin) {
			Thread watcher = new Thread(() -> {
				try {
					while (System.in.read() >= 0) {
						// the parent writes nothing: wait for the end of the stream
					}
				}
				catch (IOException ex) {
					// the parent is gone
				}
				Runtime.getRuntime().halt(0);
			}, "parent-watcher");
			watcher.setDaemon(true);
			watcher.start();
		}
		if (seconds > 0) {
			Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
		}
		else {
			Thread.currentThread().join();
		}
	}

	private static void spin() {
		long x = System.nanoTime() | 1;
		while (true) {
			// xorshift: work the JIT cannot drop
			x ^= x << 13;
			x ^= x >>> 7;
			x ^= x << 17;
			if (x == 0) {
				sink = x;
			}
		}
	}

	private static String classPath() {
		try {
			return Path.of(CpuLoad.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
		}
		catch (URISyntaxException | RuntimeException ex) {
			return System.getProperty("java.class.path");
		}
	}

	private static String readLine(InputStream in) throws IOException {
		StringBuilder line = new StringBuilder();
		int c;
		while ((c = in.read()) >= 0 && c != '\n') {
			line.append((char) c);
		}
		return line.toString();
	}

	/**
	 * Runs {@link #busyLoopsRequested()} busy loops beside each test class it is
	 * registered for ({@code @ExtendWith(CpuLoad.Extension.class)}), from before its
	 * first test to after its last; does nothing when no load is requested.
	 */
	public static final class Extension implements BeforeAllCallback {

		@Override
		public void beforeAll(ExtensionContext context) {
			int loops = busyLoopsRequested();
			if (loops > 0) {
				// the store closes it after the class's last test
				context.getStore(ExtensionContext.Namespace.create(CpuLoad.class))
					.put(context.getRequiredTestClass().getName(), start(loops));
			}
		}

	}

}
