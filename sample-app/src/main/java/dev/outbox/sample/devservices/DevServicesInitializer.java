package dev.outbox.sample.devservices;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.apache.kafka.common.utils.Exit;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Starts the sample's development services before any bean is created, and points Spring
 * Boot's {@code spring.datasource.*} and {@code spring.kafka.bootstrap-servers} at them:
 * <ul>
 * <li>{@code sample.dev-services.postgres=true}: an embedded PostgreSQL (zonky), a real
 * server process started from binaries shipped in a jar, with an empty database;</li>
 * <li>{@code sample.dev-services.kafka=true}: a real Kafka broker (KRaft) started in this
 * JVM by {@code spring-kafka-test}.</li>
 * </ul>
 * Both are thrown away when the application stops. {@code application.yml} turns them on
 * by default and off in the {@code external} profile (and Kafka off in the {@code rabbit}
 * profile). Registered in {@code META-INF/spring.factories}.
 */
public class DevServicesInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {

	private static final Log logger = LogFactory.getLog(DevServicesInitializer.class);

	@Override
	public void initialize(ConfigurableApplicationContext context) {
		ConfigurableEnvironment environment = context.getEnvironment();
		Map<String, Object> properties = new LinkedHashMap<>();
		EmbeddedPostgres postgres = null;
		if (environment.getProperty("sample.dev-services.postgres", Boolean.class, false)) {
			postgres = startPostgres();
			closeWith(context, "sampleEmbeddedPostgres", postgres::close);
			properties.put("spring.datasource.url", postgres.getJdbcUrl("postgres", "postgres"));
			properties.put("spring.datasource.username", "postgres");
			properties.put("spring.datasource.password", "");
			logger.info("Started embedded PostgreSQL on port " + postgres.getPort()
					+ " (sample.dev-services.postgres=true); it is deleted when the application stops");
		}
		if (environment.getProperty("sample.dev-services.kafka", Boolean.class, false)) {
			EmbeddedKafkaKraftBroker kafka;
			try {
				kafka = startKafka();
			}
			catch (RuntimeException ex) {
				// the context never refreshes, so it would not stop the database either
				closeQuietly(postgres);
				throw ex;
			}
			closeWith(context, "sampleEmbeddedKafka", kafka::destroy);
			properties.put("spring.kafka.bootstrap-servers", kafka.getBrokersAsString());
			logger.info("Started in-process Kafka broker at " + kafka.getBrokersAsString()
					+ " (sample.dev-services.kafka=true); it is deleted when the application stops");
		}
		if (!properties.isEmpty()) {
			environment.getPropertySources().addFirst(new MapPropertySource("sampleDevServices", properties));
		}
	}

	private static EmbeddedPostgres startPostgres() {
		try {
			// stopped by closeWith(..) after the beans that use it, not by a JVM shutdown
			// hook of its own
			return EmbeddedPostgres.builder().setRegisterShutdownHook(false).start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start the embedded PostgreSQL; run with the 'external' "
					+ "profile and SPRING_DATASOURCE_URL to use a server of your own", ex);
		}
	}

	private static void closeQuietly(@Nullable EmbeddedPostgres postgres) {
		if (postgres != null) {
			try {
				postgres.close();
			}
			catch (IOException ex) {
				logger.warn("Could not stop the embedded PostgreSQL: " + ex.getMessage());
			}
		}
	}

	private static EmbeddedKafkaKraftBroker startKafka() {
		EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 1);
		broker.brokerProperties(Map.of("auto.create.topics.enable", "false", "transaction.state.log.replication.factor",
				"1", "transaction.state.log.min.isr", "1"));
		// Kafka's test kit deletes the broker's directories in a JVM shutdown hook of its
		// own,
		// which races the application's orderly shutdown (the relay and the consumers
		// still
		// talk to the broker); without that hook the broker deletes them when it is
		// destroyed,
		// after every bean that uses it
		Exit.setShutdownHookAdder((name, hook) -> {
		});
		try {
			broker.afterPropertiesSet();
		}
		finally {
			Exit.resetShutdownHookAdder();
		}
		return broker;
	}

	/**
	 * Stop the service when the context closes, after every bean that uses it: disposable
	 * beans are destroyed in the reverse order of their registration, and this one is
	 * registered before any other.
	 */
	private static void closeWith(ConfigurableApplicationContext context, String name, DisposableBean closer) {
		if (context.getBeanFactory() instanceof DefaultSingletonBeanRegistry registry) {
			registry.registerDisposableBean(name, closer);
		}
		else {
			Runtime.getRuntime().addShutdownHook(new Thread(() -> {
				try {
					closer.destroy();
				}
				catch (Exception ex) {
					logger.warn("Could not stop " + name + ": " + ex.getMessage());
				}
			}, name + "-shutdown"));
		}
	}

}
