package dev.outbox.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.outbox.Outbox;
import dev.outbox.OutboxEvent;
import dev.outbox.relay.OutboxRelay;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.persistence.autoconfigure.EntityScan;

/**
 * The outbox: {@code Outbox.publish} in the transaction, the relay in the same
 * application (default settings) delivers to Kafka.
 */
final class OutboxPeer extends SpringPeer {

	static final String ID = "outbox";

	static final String TOPIC = "compare-outbox";

	private final Outbox outbox;

	private final OutboxRelay relay;

	OutboxPeer() {
		super(ID, "outbox", Application.class, properties());
		this.outbox = this.context.getBean(Outbox.class);
		this.relay = this.context.getBean(OutboxRelay.class);
	}

	private static Map<String, String> properties() {
		Map<String, String> properties = new LinkedHashMap<>();
		properties.put("outbox.relay.broker", "kafka");
		properties.put("outbox.consumer.enabled", "false");
		properties.put("spring.autoconfigure.exclude", PeerAutoConfigurations.PEERS);
		return properties;
	}

	@Override
	public String topic() {
		return TOPIC;
	}

	@Override
	public void publish(ComparedEvent event) {
		this.outbox.publish(OutboxEvent.builder(TOPIC).aggregateId(event.key()).payload(event).build());
	}

	@Override
	public long undelivered() {
		Map<String, @Nullable Object> counts = this.jdbc
			.queryForMap("select count(*) filter (where status = 'PENDING') as pending, "
					+ "count(*) filter (where status = 'PARKED') as parked from outbox_event");
		long parked = count(counts, "parked");
		if (parked > 0) {
			throw new IllegalStateException("outbox: " + parked + " events parked instead of delivered");
		}
		return count(counts, "pending");
	}

	@Override
	public void pauseDelivery() {
		this.relay.stop();
	}

	@Override
	public void resumeDelivery() {
		this.relay.start();
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@EntityScan(basePackageClasses = BenchmarkOrder.class)
	static class Application {

	}

}
