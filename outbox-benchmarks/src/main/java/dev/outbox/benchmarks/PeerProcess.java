package dev.outbox.benchmarks;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * A peer's JVM as the coordinating JVM sees it: started on the same class path with the
 * shared Kafka broker, asked to run workloads one at a time. Its other output is passed
 * through with the peer's id in front.
 */
final class PeerProcess implements AutoCloseable {

	static final String READY = "@@ready";

	static final String RESULT = "@@result";

	static final String ERROR = "@@error";

	static final String QUIT = "quit";

	private static final Duration START_TIMEOUT = Duration.ofMinutes(10);

	private static final Duration WORKLOAD_TIMEOUT = Duration.ofMinutes(30);

	private final String id;

	private final Process process;

	private final Writer commands;

	private final BlockingQueue<String[]> answers = new LinkedBlockingQueue<>();

	private String displayName = "?";

	private String databaseVersion = "?";

	PeerProcess(String id, CompareOptions options, String bootstrapServers) {
		this.id = id;
		List<String> command = new ArrayList<>();
		command.add(ProcessHandle.current().info().command().orElse("java"));
		command.add("-Xmx1g");
		String classPath = System.getProperty("java.class.path");
		if (isExecutableJar(classPath)) {
			// the executable jar: its launcher puts the nested jars on the class path
			command.add("-jar");
			command.add(classPath);
		}
		else {
			command.add("-cp");
			command.add(classPath);
			command.add(Benchmarks.class.getName());
		}
		command.add(Benchmarks.PEER_COMMAND);
		command.add(id);
		command.addAll(Arrays.asList(options.toArgs()));
		ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
		builder.environment().put("OUTBOX_TEST_KAFKA_BOOTSTRAP", bootstrapServers);
		try {
			this.process = builder.start();
		}
		catch (IOException ex) {
			throw new IllegalStateException("Could not start the JVM of " + id + ": " + command, ex);
		}
		this.commands = new OutputStreamWriter(this.process.getOutputStream(), StandardCharsets.UTF_8);
		Thread reader = new Thread(this::read, "peer-" + id);
		reader.setDaemon(true);
		reader.start();
	}

	// java -jar outbox-benchmarks.jar; a test runner's single jar (whose manifest lists
	// the class path) takes -cp like a class path does
	private static boolean isExecutableJar(String classPath) {
		if (classPath.contains(File.pathSeparator) || !classPath.endsWith(".jar")) {
			return false;
		}
		try (JarFile jar = new JarFile(classPath)) {
			Manifest manifest = jar.getManifest();
			return manifest != null && manifest.getMainAttributes().getValue("Start-Class") != null;
		}
		catch (IOException ex) {
			return false;
		}
	}

	private void read() {
		try (BufferedReader output = new BufferedReader(
				new InputStreamReader(this.process.getInputStream(), StandardCharsets.UTF_8))) {
			String line;
			while ((line = output.readLine()) != null) {
				if (line.startsWith("@@")) {
					this.answers.add(line.split("\t", -1));
				}
				else {
					System.out.println("  [" + this.id + "] " + line);
				}
			}
		}
		catch (IOException ex) {
			// the process is gone; a waiting caller notices
		}
		this.answers.add(new String[] { ERROR, "the JVM of " + this.id + " exited" });
	}

	/**
	 * Wait until the peer's application has started.
	 * @throws IllegalStateException if it fails to start or takes too long
	 */
	void awaitReady() {
		String[] answer = next(START_TIMEOUT);
		if (!answer[0].equals(READY)) {
			throw failure("start", answer);
		}
		this.displayName = answer[1];
		this.databaseVersion = answer[2];
	}

	/**
	 * Run a workload and wait for its figures.
	 * @param workload its name
	 * @param round the round, from 1
	 * @return metric to value, in table order
	 */
	Map<String, Double> run(String workload, int round) {
		try {
			this.commands.write(workload + " " + round + "\n");
			this.commands.flush();
		}
		catch (IOException ex) {
			throw new IllegalStateException("The JVM of " + this.id + " does not take commands", ex);
		}
		String[] answer = next(WORKLOAD_TIMEOUT);
		if (!answer[0].equals(RESULT)) {
			throw failure(workload, answer);
		}
		Map<String, Double> metrics = new LinkedHashMap<>();
		for (int i = 1; i + 1 < answer.length; i += 2) {
			metrics.put(answer[i], Double.parseDouble(answer[i + 1]));
		}
		return metrics;
	}

	String id() {
		return this.id;
	}

	String displayName() {
		return this.displayName;
	}

	String databaseVersion() {
		return this.databaseVersion;
	}

	private String[] next(Duration timeout) {
		try {
			String[] answer = this.answers.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
			return (answer != null) ? answer : new String[] { ERROR, "no answer within " + timeout };
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private IllegalStateException failure(String what, String[] answer) {
		return new IllegalStateException(
				this.id + ": " + what + " failed: " + String.join(" ", Arrays.copyOfRange(answer, 1, answer.length)));
	}

	@Override
	public void close() {
		try {
			this.commands.write(QUIT + "\n");
			this.commands.close();
		}
		catch (IOException ex) {
			// already gone
		}
		try {
			if (!this.process.waitFor(60, TimeUnit.SECONDS)) {
				this.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			this.process.destroyForcibly();
		}
	}

}
