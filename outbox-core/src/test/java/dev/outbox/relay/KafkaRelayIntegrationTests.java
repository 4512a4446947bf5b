package dev.outbox.relay;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.OutboxEvent;
import dev.outbox.OutboxHeaders;
import dev.outbox.jdbc.JdbcOutbox;
import dev.outbox.spi.OutboxMessage;
import dev.outbox.spi.OutboxSender;
import dev.outbox.test.CpuLoad;
import dev.outbox.test.MutableClock;
import dev.outbox.test.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The relay against real PostgreSQL and Kafka.
 */
@ExtendWith(CpuLoad.Extension.class)
class KafkaRelayIntegrationTests extends KafkaRelayTests {

	KafkaRelayIntegrationTests() {
		super("relay-");
	}

	/**
	 * The real sender, running {@code beforeSend} on every list of messages handed to it
	 * (single sends included).
	 */
	private static OutboxSender observed(OutboxSender real, Consumer<List<OutboxMessage>> beforeSend) {
		return new OutboxSender() {

			@Override
			public String name() {
				return real.name();
			}

			@Override
			public CompletableFuture<Void> send(OutboxMessage message) {
				return sendAll(List.of(message)).get(0);
			}

			@Override
			public List<CompletableFuture<Void>> sendAll(List<OutboxMessage> messages) {
				beforeSend.accept(messages);
				return real.sendAll(messages);
			}

		};
	}

	@Test
	void eventWithLowerSeqCommittedAfterAHigherOneIsDeliveredToo() throws Exception {
		started(this.fixture.relay().sender(sender()));
		try (Connection first = this.fixture.dataSource.getConnection();
				Connection second = this.fixture.dataSource.getConnection()) {
			first.setAutoCommit(false);
			second.setAutoCommit(false);
			UUID early = this.fixture.insert(first, this.topic, "key-a", "early", null);
			UUID late = this.fixture.insert(second, this.topic, "key-b", "late", null);
			assertThat(seq(first, early)).isLessThan(seq(second, late));
			second.commit();
			assertThat(KafkaTestClient.ids(this.client.awaitRecords(1))).containsExactly(late.toString());
			first.commit();
			assertThat(KafkaTestClient.ids(this.client.awaitRecords(2))).containsExactlyInAnyOrder(early.toString(),
					late.toString());
		}
	}

	private long seq(Connection connection, UUID id) throws Exception {
		try (var statement = connection
			.prepareStatement("select seq from " + this.fixture.tables.qualifiedEventTable() + " where id = ?")) {
			statement.setObject(1, id);
			try (var rs = statement.executeQuery()) {
				rs.next();
				return rs.getLong(1);
			}
		}
	}

	@Test
	void confirmedEventsWhoseMarkingFailsAreSentAgainAfterTheEventsOfTheirKeySentMeanwhile() throws Exception {
		// the relay marks confirmed events published in the background while it fetches
		// and sends the next batch, leaving the unmarked ones out of that fetch; here the
		// database refuses to delete the confirmed rows until the test lets it
		String events = this.fixture.tables.qualifiedEventTable();
		JdbcTemplate jdbc = this.fixture.jdbc;
		started(this.fixture.relay().sender(sender()));
		// the topic exists and the consumer reads it before the refusal starts
		UUID warmUp = this.fixture.insert(this.topic, "key-w", "warm-up");
		await().atMost(Duration.ofSeconds(30)).until(() -> this.fixture.status(warmUp).equals("DELETED"));
		await().atMost(Duration.ofSeconds(30))
			.until(() -> KafkaTestClient.ids(this.client.poll()).contains(warmUp.toString()));
		jdbc.execute("create table " + events + "_refuse (refuse int)");
		jdbc.execute("insert into " + events + "_refuse values (1)");
		// a sequence counts the refusals: it is not rolled back with the delete
		jdbc.execute("create sequence " + events + "_refused");
		jdbc.execute("create function " + events + "_refuse() returns trigger language plpgsql as $$ begin"
				+ " if exists (select 1 from " + events + "_refuse) then perform nextval('" + events + "_refused');"
				+ " raise exception 'refused by the test'; end if; return old; end $$");
		jdbc.execute("create trigger refuse_delete before delete on " + events + " for each row execute function "
				+ events + "_refuse()");
		UUID first = this.fixture.insert(this.topic, "key-m", "first");
		await().atMost(Duration.ofSeconds(30))
			.until(() -> KafkaTestClient.ids(this.client.poll()).contains(first.toString()));
		// committed while the marking of the first is being retried
		UUID second = this.fixture.insert(this.topic, "key-m", "second");
		await().atMost(Duration.ofSeconds(30))
			.until(() -> KafkaTestClient.ids(this.client.poll()).contains(second.toString()));
		// the relay gives up marking the first (one try and 5 retries) before the
		// refusal ends
		await().atMost(Duration.ofSeconds(30))
			.until(() -> jdbc.queryForObject("select last_value from " + events + "_refused", Long.class) >= 6);
		jdbc.execute("delete from " + events + "_refuse");
		await().atMost(Duration.ofSeconds(30))
			.until(() -> this.fixture.status(first).equals("DELETED") && this.fixture.status(second).equals("DELETED"));
		List<String> sent = this.client.poll()
			.stream()
			.map((r) -> KafkaTestClient.header(r, OutboxHeaders.MESSAGE_ID))
			.toList();
		// never lost, and a key's events are sent again in their order: the first is not
		// sent once more after the second was sent for the last time
		assertThat(sent).contains(first.toString(), second.toString());
		assertThat(sent.indexOf(first.toString())).isLessThan(sent.indexOf(second.toString()));
		assertThat(sent.lastIndexOf(first.toString())).isLessThan(sent.lastIndexOf(second.toString()));
	}

	@Test
	void rolledBackEventIsNeverDelivered() throws Exception {
		started(this.fixture.relay().sender(sender()));
		UUID rolledBack;
		try (Connection connection = this.fixture.dataSource.getConnection()) {
			connection.setAutoCommit(false);
			rolledBack = this.fixture.insert(connection, this.topic, "key-r", "phantom", null);
			connection.rollback();
		}
		UUID committed = this.fixture.insert(this.topic, "key-c", "real");
		List<ConsumerRecord<String, byte[]>> records = this.client.awaitRecords(1);
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.status(committed).equals("DELETED"));
		records = this.client.poll();
		assertThat(KafkaTestClient.ids(records)).containsExactly(committed.toString())
			.doesNotContain(rolledBack.toString());
	}

	@Test
	void delayedEventIsNotSentBeforeAvailableAtByTheDatabaseClockAndLaterEventsOfItsKeyWait() throws Exception {
		// the relay's clock two hours ahead does not make the event due: due times are
		// the database's clock
		MutableClock clock = new MutableClock(Instant.now().plus(Duration.ofHours(2)));
		OutboxRelay relay = this.fixture.relay().clock(clock).sender(sender()).build();
		relay.claimPartitions();
		UUID delayed;
		try (Connection connection = this.fixture.dataSource.getConnection()) {
			delayed = this.fixture.insert(connection, this.topic, "key-d", "first", Instant.now().plusSeconds(3600));
		}
		UUID behind = this.fixture.insert(this.topic, "key-d", "second");
		UUID other = this.fixture.insert(this.topic, "key-o", "other");
		assertThat(relay.relayOnce().claimed()).isEqualTo(1);
		assertThat(this.fixture.status(other)).isEqualTo("DELETED");
		assertThat(this.fixture.status(delayed)).isEqualTo("PENDING");
		assertThat(this.fixture.status(behind)).isEqualTo("PENDING");
		assertThat(relay.relayOnce().claimed()).isZero();
		// the delay runs out (by the database's clock) in a moment
		this.fixture.jdbc.update("update " + this.fixture.tables.qualifiedEventTable()
				+ " set available_at = now() + interval '300 milliseconds' where id = ?", delayed);
		await().atMost(Duration.ofSeconds(10)).until(() -> relay.relayOnce().claimed() == 2);
		List<String> keyD = this.client.awaitRecords(3)
			.stream()
			.filter((r) -> r.key().equals("key-d"))
			.map(KafkaTestClient::value)
			.toList();
		assertThat(keyD).containsExactly("first", "second");
	}

	@Test
	void aBatchSendsTheNthEventOfEveryKeyTogetherOnceEachKeysPreviousOneIsConfirmed() {
		List<List<String>> calls = new CopyOnWriteArrayList<>();
		OutboxSender recording = observed(sender(),
				(messages) -> calls.add(messages.stream().map(OutboxMessage::key).toList()));
		OutboxRelay relay = this.fixture.relay().sender(recording).build();
		relay.claimPartitions();
		int keys = 4;
		int perKey = 5;
		for (int n = 0; n < perKey; n++) {
			for (int k = 0; k < keys; k++) {
				this.fixture.insert(this.topic, "key-w" + k, String.valueOf(n));
			}
		}
		relay.relayOnce();
		assertThat(this.fixture.count("true")).isZero();
		// five sends of four events (one per key), not one of four and sixteen of one
		assertThat(calls).hasSize(perKey)
			.allSatisfy((keysOfCall) -> assertThat(keysOfCall).hasSize(keys).doesNotHaveDuplicates());
		Map<String, List<String>> byKey = new LinkedHashMap<>();
		this.client.awaitRecords(keys * perKey)
			.forEach((r) -> byKey.computeIfAbsent(r.key(), (k) -> new ArrayList<>()).add(KafkaTestClient.value(r)));
		assertThat(byKey).hasSize(keys)
			.allSatisfy((key, values) -> assertThat(values).containsExactly("0", "1", "2", "3", "4"));
	}

	@Test
	void laterEventsOfAKeyWaitForTheNextBatchOnceTheSendTimeoutIsUsedUp() throws Exception {
		// a broker that takes 300 ms for each wave after the heads (here: each later
		// event of the one key, sent once the one before it was confirmed)
		AtomicInteger waves = new AtomicInteger();
		// a sender warmed up, so that only the slow sends count
		OutboxSender slow = observed(warmedUpSender(), (messages) -> {
			if (waves.getAndIncrement() > 0) {
				LockSupport.parkNanos(Duration.ofMillis(300).toNanos());
			}
		});
		OutboxRelay relay = this.fixture.relay().sendTimeout(Duration.ofMillis(500)).sender(slow).build();
		relay.claimPartitions();
		for (int i = 0; i < 6; i++) {
			this.fixture.insert(this.topic, "key-s", String.valueOf(i));
		}
		// the head and one or two later events fit in the send timeout; the rest stays
		// pending, unsent and without an attempt, and the relay is told to go on
		assertThat(relay.relayOnce().moreWaiting()).isTrue();
		assertThat(this.fixture.count("status = 'PENDING'")).isBetween(1, 4);
		int rounds = 1;
		while (this.fixture.count("true") > 0 && rounds++ < 10) {
			relay.relayOnce();
		}
		assertThat(this.fixture.count("true")).isZero();
		List<String> values = this.client.awaitRecords(6).stream().map(KafkaTestClient::value).toList();
		assertThat(values).containsExactly("0", "1", "2", "3", "4", "5");
	}

	@Test
	void aParkedEventHoldsBackTheLaterEventsOfItsKeyToItsOwnDestinationOnly() {
		String otherTopic = "relay-other-" + UUID.randomUUID();
		try (KafkaTestClient otherClient = new KafkaTestClient(TestKafka.bootstrapServers(), otherTopic)) {
			RecordingSender sender = RecordingSender.failing(sender(), (m) -> m.destination().equals(this.topic)
					&& new String(m.payload(), java.nio.charset.StandardCharsets.UTF_8).equals("poison"));
			started(this.fixture.relay().sender(sender).maxAttempts(2));
			UUID poison = this.fixture.insert(this.topic, "k", "poison");
			this.fixture.insert(otherTopic, "k", "y1");
			UUID behindPoison = this.fixture.insert(this.topic, "k", "x1");
			this.fixture.insert(otherTopic, "k", "y2");
			UUID alsoBehindPoison = this.fixture.insert(this.topic, "k", "x2");
			await().atMost(Duration.ofSeconds(20)).until(() -> this.fixture.status(poison).equals("PARKED"));
			this.fixture.insert(otherTopic, "k", "y3");
			List<String> other = new ArrayList<>();
			await().atMost(Duration.ofSeconds(30)).until(() -> {
				other.clear();
				otherClient.poll().forEach((r) -> other.add(KafkaTestClient.value(r)));
				return other.size() >= 3;
			});
			assertThat(other).containsExactly("y1", "y2", "y3");
			assertThat(this.client.poll()).isEmpty();
			for (UUID waiting : List.of(behindPoison, alsoBehindPoison)) {
				Map<String, Object> row = this.fixture.row(waiting);
				assertThat(row.get("status")).isEqualTo("PENDING");
				assertThat(row.get("attempts")).isEqualTo(0);
			}
		}
	}

	@Test
	void retentionKeepsPublishedRowsThenPurgesThemInBatches() {
		// the relay's clock two hours ahead does not purge early: publication times
		// are the database's clock
		MutableClock clock = new MutableClock(Instant.now().plus(Duration.ofHours(2)));
		OutboxRelay relay = this.fixture.relay()
			.clock(clock)
			.sender(sender())
			.retention(Duration.ofHours(1))
			.purge(Duration.ofMinutes(1), 2)
			.build();
		relay.claimPartitions();
		for (int i = 0; i < 5; i++) {
			this.fixture.insert(this.topic, "key-" + i, "r" + i);
		}
		assertThat(relay.relayOnce().claimed()).isEqualTo(5);
		assertThat(this.fixture.count("status = 'PUBLISHED' and published_at is not null")).isEqualTo(5);
		relay.purgeNow();
		assertThat(this.fixture.count("true")).isEqualTo(5);
		this.fixture.jdbc.update("update " + this.fixture.tables.qualifiedEventTable()
				+ " set published_at = published_at - interval '61 minutes'");
		relay.purgeNow();
		assertThat(this.fixture.count("true")).isZero();
	}

	@Test
	void stopReleasesLeasesAndRemovesTheInstance() {
		OutboxRelay relay = started(this.fixture.relay().sender(sender()));
		assertThat(relay.ownedPartitions()).hasSize(RelayFixture.PARTITIONS);
		String leases = this.fixture.tables.qualifiedLeaseTable();
		assertThat(this.fixture.jdbc.queryForObject("select count(*) from " + leases + " where owner = ?",
				Integer.class, relay.instanceId()))
			.isEqualTo(RelayFixture.PARTITIONS);
		relay.stop();
		assertThat(this.fixture.jdbc.queryForObject("select count(*) from " + leases + " where owner is null",
				Integer.class))
			.isEqualTo(RelayFixture.PARTITIONS);
		assertThat(this.fixture.jdbc
			.queryForObject("select count(*) from " + this.fixture.tables.qualifiedInstanceTable(), Integer.class))
			.isZero();
		assertThat(relay.ownedPartitions()).isEmpty();
	}

	@Test
	void wakeUpDeliversAtOnceWithoutWaitingForThePoll() {
		// delivered by the first pass; after it the relay waits for the 5-minute poll
		UUID first = this.fixture.insert(this.topic, "key-f", "first");
		OutboxRelay relay = started(this.fixture.relay().sender(warmedUpSender()).pollInterval(Duration.ofMinutes(5)));
		await().atMost(Duration.ofSeconds(30)).until(() -> this.fixture.status(first).equals("DELETED"));
		UUID id = this.fixture.insert(this.topic, "key-w", "woken");
		relay.wakeUp();
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.status(id).equals("DELETED"));
	}

	@Test
	void aFailedSendIsRetriedWhenItsBackoffEndsNotAtTheNextPoll() {
		// refuses the first attempt of each event
		Set<UUID> refused = ConcurrentHashMap.newKeySet();
		RecordingSender refusingFirstAttempts = RecordingSender.failing(warmedUpSender(),
				(message) -> refused.add(message.id()));
		// refused by the relay's first pass; after it nothing wakes the relay, which
		// polls
		// every 5 minutes: only the end of the 200 ms backoff gets it sent again
		UUID id = this.fixture.insert(this.topic, "key-r", "retried");
		started(this.fixture.relay()
			.sender(refusingFirstAttempts)
			.pollInterval(Duration.ofMinutes(5))
			.backoff(Duration.ofMillis(200), 1.0, Duration.ofMillis(200), 0.0));
		await().atMost(Duration.ofSeconds(30)).until(() -> this.fixture.status(id).equals("DELETED"));
		assertThat(refused).containsExactly(id);
		assertThat(KafkaTestClient.ids(this.client.awaitRecords(1))).containsExactly(id.toString());
	}

	@Test
	void notifyFromAnotherConnectionWakesTheRelay() throws Exception {
		// a channel of this test's own, so that no other run on the database can wake it
		String channel = "outbox_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
		// delivered by the first pass; after it the relay waits for the 5-minute poll
		UUID first = this.fixture.insert(this.topic, "key-f", "first");
		started(this.fixture.relay()
			.sender(warmedUpSender())
			.pollInterval(Duration.ofMinutes(5))
			.notifyChannel(channel));
		await().atMost(Duration.ofSeconds(10))
			.until(() -> new JdbcTemplate(this.fixture.dataSource).queryForObject(
					"select count(*) from pg_stat_activity where query ilike ?", Integer.class,
					"listen%" + channel + "%") > 0);
		await().atMost(Duration.ofSeconds(30)).until(() -> this.fixture.status(first).equals("DELETED"));
		UUID id;
		try (Connection connection = this.fixture.dataSource.getConnection()) {
			connection.setAutoCommit(false);
			id = this.fixture.insert(connection, this.topic, "key-n", "notified", null);
			connection.createStatement().execute("select pg_notify('" + channel + "', '')");
			connection.commit();
		}
		await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.status(id).equals("DELETED"));
	}

	@Test
	void commitInAnotherProcessWakesTheRelayDespiteAFiveMinutePoll() {
		String channel = "outbox_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
		Set<UUID> handed = ConcurrentHashMap.newKeySet();
		started(this.fixture.relay()
			.sender(observed(warmedUpSender(), (messages) -> messages.forEach((m) -> handed.add(m.id()))))
			.pollInterval(Duration.ofMinutes(5))
			.notifyChannel(channel));
		await().atMost(Duration.ofSeconds(10))
			.until(() -> this.fixture.jdbc.queryForObject("select count(*) from pg_stat_activity where query ilike ?",
					Integer.class, "listen%" + channel + "%") > 0);
		// the other process: a pool of its own, and no commit listener that could reach
		// this relay; only its notification, sent after the commit, wakes the relay
		try (HikariDataSource writerPool = this.fixture.database.dataSource();
				JdbcOutbox outbox = JdbcOutbox.builder(writerPool)
					.tables(this.fixture.tables)
					.partitions(RelayFixture.PARTITIONS)
					.notifyChannel(channel)
					.build()) {
			TransactionTemplate transactions = new TransactionTemplate(new DataSourceTransactionManager(writerPool));
			for (int i = 0; i < 5; i++) {
				String key = "key-p" + i;
				UUID id = transactions.execute((status) -> outbox.publish(OutboxEvent.of(this.topic, key, key)));
				// seconds at most, on a loaded machine, not the poll's minutes
				// (write-concurrency, a benchmark, measures the latency of the
				// commit to the notification)
				await().atMost(Duration.ofSeconds(10)).until(() -> handed.contains(id));
				await().atMost(Duration.ofSeconds(10)).until(() -> this.fixture.status(id).equals("DELETED"));
			}
		}
	}

}
