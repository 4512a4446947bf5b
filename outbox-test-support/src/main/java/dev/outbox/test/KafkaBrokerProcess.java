package dev.outbox.test;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.jspecify.annotations.Nullable;

/**
 * A single-node Kafka broker in KRaft mode (combined broker and controller) running in a
 * child JVM on the test class path, for tests that take the broker away and bring it
 * back: {@link #stop()} kills the process ({@code kill -9}), {@link #start()} starts it
 * again on the same ports with the same log directory, so the topics and committed
 * records survive. {@link #close()} kills it and deletes the directory.
 * <p>
 * The in-process broker of {@link TestKafka} cannot be restarted that way. Start-up
 * failures carry the end of the child's output.
 */
public final class KafkaBrokerProcess implements AutoCloseable {

	private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

	private static final int LOG_TAIL_LINES = 60;

	private final Path directory;

	private final Path config;

	private final Path log;

	private final int port;

	private final int controllerPort;

	private @Nullable Process process;

	/**
	 * Write the configuration and format the storage of a new broker; it is not started.
	 * @throws IOException if the directory or configuration cannot be written
	 * @throws IllegalStateException if formatting the storage fails
	 */
	public KafkaBrokerProcess() throws IOException {
		TestPhase.requireServicesAllowed("a Kafka broker process");
		this.directory = Files.createTempDirectory("outbox-kafka-");
		this.config = this.directory.resolve("server.properties");
		this.log = this.directory.resolve("broker.log");
		int[] ports = freePorts(2);
		this.port = ports[0];
		this.controllerPort = ports[1];
		Path logback = this.directory.resolve("logback.xml");
		Files.writeString(logback, """
				<configuration>
					<appender name="out" class="ch.qos.logback.core.ConsoleAppender">
						<encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{36} - %msg%n</pattern></encoder>
					</appender>
					<logger name="kafka.server.KafkaRaftServer" level="INFO"/>
					<root level="WARN"><appender-ref ref="out"/></root>
				</configuration>
				""", StandardCharsets.UTF_8);
		Files.writeString(this.config,
				String.join("\n", "process.roles=broker,controller", "node.id=1",
						"controller.quorum.voters=1@127.0.0.1:" + this.controllerPort,
						"listeners=PLAINTEXT://127.0.0.1:" + this.port + ",CONTROLLER://127.0.0.1:"
								+ this.controllerPort,
						"advertised.listeners=PLAINTEXT://127.0.0.1:" + this.port,
						"controller.listener.names=CONTROLLER", "inter.broker.listener.name=PLAINTEXT",
						"listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
						"log.dirs=" + this.directory.resolve("data"), "num.partitions=4",
						"auto.create.topics.enable=true", "offsets.topic.replication.factor=1",
						"offsets.topic.num.partitions=4", "transaction.state.log.replication.factor=1",
						"transaction.state.log.min.isr=1", "share.coordinator.state.topic.replication.factor=1",
						"share.coordinator.state.topic.min.isr=1", "group.initial.rebalance.delay.ms=0",
						"broker.heartbeat.interval.ms=500", "broker.session.timeout.ms=3000", ""),
				StandardCharsets.UTF_8);
		Process format = java("kafka.tools.StorageTool", "format", "--config", this.config.toString(), "--cluster-id",
				Uuid.randomUuid().toString());
		try {
			if (!format.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
				format.destroyForcibly();
				throw failure("Formatting the Kafka storage did not finish within " + START_TIMEOUT);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			format.destroyForcibly();
			throw new IllegalStateException("Interrupted while formatting the Kafka storage", ex);
		}
		if (format.exitValue() != 0) {
			throw failure("Formatting the Kafka storage failed with exit status " + format.exitValue());
		}
	}

	/**
	 * Bootstrap servers of the broker, the same across restarts.
	 * @return {@code 127.0.0.1:port}
	 */
	public String bootstrapServers() {
		return "127.0.0.1:" + this.port;
	}

	/**
	 * Start the broker and wait until a client can reach it. Does nothing if it runs.
	 * @throws IllegalStateException if it exits or is not reachable in time, with the end
	 * of its output
	 */
	public synchronized void start() {
		if (isRunning()) {
			return;
		}
		Process started = java("kafka.Kafka", this.config.toString());
		this.process = started;
		long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
		try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
				AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
				3000, AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200))) {
			while (true) {
				if (!started.isAlive()) {
					throw failure("The Kafka broker exited with status " + started.exitValue() + " while starting");
				}
				try {
					if (!admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) {
						return;
					}
				}
				catch (Exception ex) {
					if (ex instanceof InterruptedException) {
						Thread.currentThread().interrupt();
						stop();
						throw new IllegalStateException("Interrupted while starting the Kafka broker", ex);
					}
					// not reachable yet
				}
				if (System.nanoTime() > deadline) {
					stop();
					throw failure(
							"The Kafka broker was not reachable at " + bootstrapServers() + " within " + START_TIMEOUT);
				}
				try {
					Thread.sleep(200);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					stop();
					throw new IllegalStateException("Interrupted while starting the Kafka broker", ex);
				}
			}
		}
	}

	/**
	 * Kill the broker at once ({@code kill -9}): no controlled shutdown, open connections
	 * drop, the ports are free again. Does nothing if it is not running.
	 */
	public synchronized void stop() {
		Process running = this.process;
		if (running == null) {
			return;
		}
		running.destroyForcibly();
		try {
			if (!running.waitFor(30, TimeUnit.SECONDS)) {
				throw new IllegalStateException("The Kafka broker process did not die within 30 seconds");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while stopping the Kafka broker", ex);
		}
		this.process = null;
	}

	/**
	 * Freeze the broker ({@code kill -STOP}): its connections stay open but it answers
	 * nothing, like a broker that hangs or a network partition, until {@link #resume()}.
	 * Needs a Unix {@code kill} command.
	 */
	public synchronized void pause() {
		signal("STOP");
	}

	/**
	 * Let a {@link #pause() paused} broker run again ({@code kill -CONT}).
	 */
	public synchronized void resume() {
		signal("CONT");
	}

	private void signal(String signal) {
		Process running = this.process;
		if (running == null) {
			throw new IllegalStateException("The Kafka broker is not running");
		}
		try {
			Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(running.pid())).inheritIO().start();
			if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
				throw new IllegalStateException("kill -" + signal + " " + running.pid() + " failed");
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not run kill -" + signal, ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while signalling the Kafka broker", ex);
		}
	}

	/**
	 * Whether the broker process is alive.
	 * @return whether it was started and has not stopped or died
	 */
	public synchronized boolean isRunning() {
		Process running = this.process;
		return running != null && running.isAlive();
	}

	/**
	 * Kill the broker and delete its directory.
	 */
	@Override
	public synchronized void close() {
		Process running = this.process;
		if (running != null && running.isAlive()) {
			// a paused process cannot act on SIGKILL's cleanup until it runs again
			signal("CONT");
		}
		stop();
		try (Stream<Path> paths = Files.walk(this.directory)) {
			for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(path);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not delete " + this.directory, ex);
		}
	}

	private Process java(String mainClass, String... args) {
		String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
		List<String> command = new ArrayList<>(List.of(java, "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC",
				"-XX:TieredStopAtLevel=1", "-Dlogback.configurationFile=" + this.directory.resolve("logback.xml"),
				"-cp", System.getProperty("java.class.path"), mainClass));
		command.addAll(List.of(args));
		try {
			return new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(ProcessBuilder.Redirect.appendTo(this.log.toFile()))
				.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start " + mainClass, ex);
		}
	}

	private IllegalStateException failure(String message) {
		String output;
		try {
			List<String> lines = Files.readAllLines(this.log, StandardCharsets.UTF_8);
			output = String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
		}
		catch (IOException ex) {
			output = "(no output: " + ex + ")";
		}
		return new IllegalStateException(message + "; end of its output (" + this.log + "):\n" + output);
	}

	private static int[] freePorts(int count) throws IOException {
		// hold all sockets until every port is chosen, so no two are the same
		ServerSocket[] sockets = new ServerSocket[count];
		try {
			int[] ports = new int[count];
			for (int i = 0; i < count; i++) {
				sockets[i] = new ServerSocket();
				sockets[i].setReuseAddress(true);
				sockets[i].bind(new InetSocketAddress("127.0.0.1", 0));
				ports[i] = sockets[i].getLocalPort();
			}
			return ports;
		}
		finally {
			for (ServerSocket socket : sockets) {
				if (socket != null) {
					socket.close();
				}
			}
		}
	}

}
