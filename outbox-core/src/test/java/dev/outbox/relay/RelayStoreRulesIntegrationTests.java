package dev.outbox.relay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import dev.outbox.spi.OutboxRelayListener;
import dev.outbox.spi.Partitions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rules of the relay's store on every database, with the shipped migrations of each:
 * order, blocking per (destination, key), parking, expiry, the byte bound, marking and
 * purging. The PostgreSQL plans are checked in {@link RelayStoreIntegrationTests}.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "postgresql", "mariadb", "mysql" })
class RelayStoreRulesIntegrationTests {

	private static final List<Integer> ALL = IntStream.range(0, RelayFixture.PARTITIONS).boxed().toList();

	@Parameter
	String product;

	private RelayFixture fixture;

	private RelayStore store;

	private String events;

	@BeforeEach
	void setUp() {
		this.fixture = new RelayFixture(this.product);
		this.store = this.fixture.mysql ? new MySqlRelayStore(this.fixture.dataSource, this.fixture.tables)
				: new JdbcRelayStore(this.fixture.dataSource, this.fixture.tables);
		this.events = this.fixture.tables.qualifiedEventTable();
	}

	@AfterEach
	void tearDown() {
		if (this.fixture == null) {
			return; // skipped before the fixture: a server this machine does not have
		}
		this.fixture.close();
	}

	@Test
	void fetchReadsDueRowsOfTheGivenPartitionsInSeqOrderWithEveryColumn() {
		List<UUID> ids = new ArrayList<>();
		for (int i = 0; i < 40; i++) {
			ids.add(this.fixture.insert("orders", "key-" + i, "{\"n\":" + i + "}"));
		}
		RelayStore.Fetched fetched = this.store.fetch(ALL, 63, 500, Long.MAX_VALUE);
		assertThat(fetched.events()).map((event) -> event.message().id()).containsExactlyElementsOf(ids);
		assertThat(fetched.read()).isEqualTo(40);
		assertThat(fetched.events()).map(ClaimedEvent::seq).isSorted();
		ClaimedEvent first = fetched.events().get(0);
		assertThat(first.partition()).isEqualTo(Partitions.of("key-0", RelayFixture.PARTITIONS));
		assertThat(first.attempts()).isZero();
		assertThat(first.message().key()).isEqualTo("key-0");
		assertThat(first.message().destination()).isEqualTo("orders");
		assertThat(new String(first.message().payload())).isEqualTo("{\"n\":0}");
		assertThat(first.message().headers()).containsEntry("traceparent",
				"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
		assertThat(first.message().createdAt()).isNotNull();
		assertThat(first.message().expiresAt()).isNull();
		// the limit, the share per partition and the owned partitions
		assertThat(this.store.fetch(ALL, 63, 5, Long.MAX_VALUE).events()).map((event) -> event.message().id())
			.containsExactlyElementsOf(ids.subList(0, 5));
		int partition = first.partition();
		List<UUID> ofPartition = fetched.events()
			.stream()
			.filter((event) -> event.partition() == partition)
			.map((event) -> event.message().id())
			.toList();
		assertThat(this.store.fetch(List.of(partition), 1, 500, Long.MAX_VALUE).events())
			.map((event) -> event.message().id())
			.containsExactly(ofPartition.get(0));
		assertThat(this.store.fetch(List.of(partition), 63, 500, Long.MAX_VALUE).events())
			.map((event) -> event.message().id())
			.containsExactlyElementsOf(ofPartition);
	}

	@Test
	void aKeysEventsAreFetchedInSeqOrderAndADelayedOneIsFetchedOnceDue() {
		UUID first = this.fixture.insert("x", "k", "1");
		UUID second = this.fixture.insert("x", "k", "2");
		UUID third = this.fixture.insert("x", "k", "3");
		assertThat(fetchedIds()).containsExactly(first, second, third);
		this.fixture.jdbc.update("update " + this.events + " set available_at = " + this.fixture.nowPlusSeconds(-1)
				+ ", created_at = " + this.fixture.nowPlusSeconds(-60) + " where id = ?", this.fixture.id(first));
		assertThat(fetchedIds()).containsExactly(first, second, third);
	}

	@Test
	void aParkedOrRetriedOrDelayedRowBlocksOnlyTheLaterRowsOfItsDestinationAndKey() {
		UUID parked = this.fixture.insert("x", "k", "parked");
		UUID behindParked = this.fixture.insert("x", "k", "behind-parked");
		UUID otherDestination = this.fixture.insert("y", "k", "other-destination");
		UUID retried = this.fixture.insert("x", "r", "retried");
		UUID behindRetried = this.fixture.insert("x", "r", "behind-retried");
		UUID delayed = this.fixture.insert("x", "d", "delayed");
		UUID behindDelayed = this.fixture.insert("x", "d", "behind-delayed");
		this.fixture.jdbc.update("update " + this.events + " set status = 'PARKED', attempts = 10 where id = ?",
				this.fixture.id(parked));
		this.fixture.jdbc.update("update " + this.events + " set attempts = 1 where id = ?", this.fixture.id(retried));
		this.fixture.jdbc.update(
				"update " + this.events + " set available_at = " + this.fixture.nowPlusSeconds(3600) + " where id = ?",
				this.fixture.id(delayed));
		List<UUID> fetched = fetchedIds();
		assertThat(fetched).containsExactlyInAnyOrder(otherDestination, retried);
		assertThat(fetched).doesNotContain(behindParked, behindRetried, delayed, behindDelayed);
	}

	@Test
	void fetchTellsWhenTheNextRetriedOrDelayedRowOfItsPartitionsFallsDue() {
		assertThat(this.store.fetch(ALL, 63, 500, Long.MAX_VALUE).nextDue()).isNull();
		UUID due = this.fixture.insert("x", "due", "{}");
		UUID parked = this.fixture.insert("x", "parked", "{}");
		UUID delayed = this.fixture.insert("x", "delayed", "{}");
		UUID retried = this.fixture.insert("x", "retried", "{}");
		// a key in a partition of none of the others
		List<Integer> taken = Stream.of("due", "parked", "delayed", "retried")
			.map((key) -> Partitions.of(key, RelayFixture.PARTITIONS))
			.toList();
		String keyElsewhere = IntStream.range(0, 100)
			.mapToObj((i) -> "elsewhere-" + i)
			.filter((key) -> !taken.contains(Partitions.of(key, RelayFixture.PARTITIONS)))
			.findFirst()
			.orElseThrow();
		UUID delayedElsewhere = this.fixture.insert("x", keyElsewhere, "{}");
		int elsewhere = Partitions.of(keyElsewhere, RelayFixture.PARTITIONS);
		List<Integer> owned = ALL.stream().filter((partition) -> partition != elsewhere).toList();
		// none of them is held back: nothing to wait for
		assertThat(this.store.fetch(owned, 63, 500, Long.MAX_VALUE).nextDue()).isNull();
		this.store.markFailed(List.of(new RelayStore.Failure(parked, 10, "poison", Duration.ZERO, true)));
		this.fixture.jdbc.update(
				"update " + this.events + " set available_at = " + this.fixture.nowPlusSeconds(600) + " where id = ?",
				this.fixture.id(delayed));
		this.fixture.jdbc.update(
				"update " + this.events + " set available_at = " + this.fixture.nowPlusSeconds(60) + " where id = ?",
				this.fixture.id(delayedElsewhere));
		// a delayed row that fell due is fetched, not waited for
		this.fixture.jdbc.update("update " + this.events + " set created_at = " + this.fixture.nowPlusSeconds(-60)
				+ ", available_at = " + this.fixture.nowPlusSeconds(-1) + " where id = ?", this.fixture.id(due));
		RelayStore.Fetched fetched = this.store.fetch(owned, 63, 500, Long.MAX_VALUE);
		assertThat(fetched.events()).map((event) -> event.message().id()).containsExactlyInAnyOrder(due, retried);
		assertThat(fetched.nextDue()).isBetween(Duration.ofSeconds(590), Duration.ofSeconds(600));
		// a retry due sooner, and the partition of the other delayed row
		this.store
			.markFailed(List.of(new RelayStore.Failure(retried, 1, "broker down", Duration.ofSeconds(30), false)));
		assertThat(this.store.fetch(owned, 63, 500, Long.MAX_VALUE).nextDue()).isBetween(Duration.ofSeconds(20),
				Duration.ofSeconds(30));
		assertThat(this.store.fetch(List.of(elsewhere), 63, 500, Long.MAX_VALUE).nextDue())
			.isBetween(Duration.ofSeconds(50), Duration.ofSeconds(60));
	}

	@Test
	void fetchMarksExpiredRowsOfItsPartitionsExpiredAndNeitherSendsThemNorLetsThemBlock() {
		UUID retried = this.fixture.insert("x", "r", "retried");
		UUID behindRetried = this.fixture.insert("x", "r", "behind-retried");
		UUID parked = this.fixture.insert("x", "p", "parked");
		UUID behindParked = this.fixture.insert("x", "p", "behind-parked");
		UUID expired = this.fixture.insert("x", "e", "expired");
		UUID notYet = this.fixture.insert("x", "e", "not-yet");
		this.fixture.jdbc.update(
				"update " + this.events + " set attempts = 1, available_at = " + this.fixture.nowPlusSeconds(3600)
						+ ", expires_at = " + this.fixture.nowPlusSeconds(-1) + " where id = ?",
				this.fixture.id(retried));
		this.fixture.jdbc.update("update " + this.events + " set status = 'PARKED', attempts = 10, expires_at = "
				+ this.fixture.nowPlusSeconds(-1) + " where id = ?", this.fixture.id(parked));
		this.fixture.jdbc.update(
				"update " + this.events + " set expires_at = " + this.fixture.nowPlusSeconds(-1) + " where id = ?",
				this.fixture.id(expired));
		this.fixture.jdbc.update(
				"update " + this.events + " set expires_at = " + this.fixture.nowPlusSeconds(3600) + " where id = ?",
				this.fixture.id(notYet));
		RelayStore.Fetched fetched = this.store.fetch(ALL, 63, 500, Long.MAX_VALUE);
		assertThat(fetched.expired()).map(OutboxRelayListener.ExpiredEvent::id)
			.containsExactlyInAnyOrder(retried, parked, expired);
		assertThat(fetched.moreExpired()).isFalse();
		assertThat(fetched.events()).map((event) -> event.message().id())
			.containsExactlyInAnyOrder(behindRetried, behindParked, notYet);
		assertThat(fetched.events()).filteredOn((event) -> event.message().id().equals(notYet))
			.singleElement()
			.satisfies((event) -> assertThat(event.message().expiresAt()).isNotNull());
		assertThat(List.of(retried, parked, expired))
			.allSatisfy((id) -> assertThat(this.fixture.status(id)).isEqualTo("EXPIRED"));
		// a late failure of an event that expired meanwhile leaves it expired
		this.store.markFailed(List.of(new RelayStore.Failure(expired, 1, "late", Duration.ZERO, false)));
		assertThat(this.fixture.status(expired)).isEqualTo("EXPIRED");
	}

	@Test
	void fetchMarksExpiredRowsOfItsPartitionsOnlyAndAtMostItsLimit() {
		List<UUID> ids = new ArrayList<>();
		for (int i = 0; i < 5; i++) {
			ids.add(this.fixture.insert("x", "k" + i, "{}"));
		}
		this.fixture.jdbc.update("update " + this.events + " set expires_at = " + this.fixture.nowPlusSeconds(-1));
		RelayStore.Fetched first = this.store.fetch(ALL, 63, 3, Long.MAX_VALUE);
		assertThat(first.expired()).hasSize(3);
		assertThat(first.moreExpired()).isTrue();
		assertThat(first.events()).isEmpty();
		List<Integer> left = IntStream.range(0, 5)
			.filter((i) -> this.fixture.status(ids.get(i)).equals("PENDING"))
			.boxed()
			.toList();
		assertThat(left).hasSize(2);
		List<Integer> leftPartitions = left.stream()
			.map((i) -> Partitions.of("k" + i, RelayFixture.PARTITIONS))
			.toList();
		List<Integer> others = ALL.stream().filter((p) -> !leftPartitions.contains(p)).toList();
		assertThat(this.store.fetch(others, 63, 500, Long.MAX_VALUE).expired()).isEmpty();
		RelayStore.Fetched rest = this.store.fetch(ALL, 63, 500, Long.MAX_VALUE);
		assertThat(rest.expired()).map(OutboxRelayListener.ExpiredEvent::id)
			.containsExactlyInAnyOrderElementsOf(left.stream().map(ids::get).toList());
		assertThat(rest.moreExpired()).isFalse();
		assertThat(this.fixture.count("status = 'EXPIRED'")).isEqualTo(5);
	}

	@Test
	void fetchStopsAtTheByteBoundInSeqOrderButAlwaysAdmitsOneEvent() {
		String kilobyte = "x".repeat(1000);
		List<UUID> ids = new ArrayList<>();
		for (int i = 0; i < 10; i++) {
			ids.add(this.fixture.insert("orders", "key-" + i, kilobyte));
		}
		// each row is 1000 payload bytes and its headers: the fourth row starts below
		// 3500 bytes, the fifth above
		RelayStore.Fetched bounded = this.store.fetch(ALL, 63, 500, 3500);
		assertThat(bounded.events()).map((event) -> event.message().id()).containsExactlyElementsOf(ids.subList(0, 4));
		assertThat(bounded.cutByBytes()).isTrue();
		assertThat(bounded.read()).isEqualTo(10);
		RelayStore.Fetched one = this.store.fetch(ALL, 63, 500, 1);
		assertThat(one.events()).map((event) -> event.message().id()).containsExactly(ids.get(0));
		assertThat(one.cutByBytes()).isTrue();
		RelayStore.Fetched all = this.store.fetch(ALL, 63, 500, 4L * 1024 * 1024);
		assertThat(all.events()).hasSize(10);
		assertThat(all.cutByBytes()).isFalse();
	}

	@Test
	void markPublishedDeletesOrMarksOnlyPendingRows() {
		UUID deleted = this.fixture.insert("x", "a", "{}");
		UUID kept = this.fixture.insert("x", "b", "{}");
		UUID parked = this.fixture.insert("x", "c", "{}");
		this.fixture.jdbc.update("update " + this.events + " set status = 'PARKED', attempts = 10 where id = ?",
				this.fixture.id(parked));
		assertThat(this.store.markPublished(List.of(deleted, parked), true)).isEqualTo(1);
		assertThat(this.store.markPublished(List.of(kept, parked), false)).isEqualTo(1);
		assertThat(this.fixture.status(deleted)).isEqualTo("DELETED");
		assertThat(this.fixture.status(kept)).isEqualTo("PUBLISHED");
		assertThat(this.fixture.row(kept).get("published_at")).isNotNull();
		assertThat(this.fixture.status(parked)).isEqualTo("PARKED");
		assertThat(this.store.markPublished(List.of(kept), true)).isZero();
		assertThat(fetchedIds()).isEmpty();
	}

	@Test
	void markFailedRecordsTheAttemptDelaysOrParksOnlyPendingRows() {
		UUID retried = this.fixture.insert("x", "a", "{}");
		UUID parked = this.fixture.insert("x", "b", "{}");
		UUID published = this.fixture.insert("x", "c", "{}");
		this.store.markPublished(List.of(published), false);
		this.store.markFailed(List.of(new RelayStore.Failure(retried, 1, "broker down", Duration.ofHours(1), false),
				new RelayStore.Failure(parked, 5, "poison", Duration.ZERO, true),
				new RelayStore.Failure(published, 1, "late", Duration.ZERO, false)));
		assertThat(this.fixture.row(retried)).containsEntry("status", "PENDING")
			.containsEntry("attempts", 1)
			.containsEntry("last_error", "broker down");
		assertThat(this.fixture.row(parked)).containsEntry("status", "PARKED").containsEntry("attempts", 5);
		assertThat(this.fixture.row(published)).containsEntry("status", "PUBLISHED").containsEntry("attempts", 0);
		assertThat(this.fixture.count("available_at > " + this.fixture.nowPlusSeconds(3500))).isEqualTo(1);
		assertThat(fetchedIds()).isEmpty();
		this.store.markFailed(List.of(new RelayStore.Failure(retried, 2, "again", Duration.ZERO, false)));
		assertThat(fetchedIds()).containsExactly(retried);
	}

	@Test
	void purgeDeletesPublishedAndExpiredRowsPastTheRetentionInBoundedBatches() {
		List<UUID> published = new ArrayList<>();
		for (int i = 0; i < 5; i++) {
			published.add(this.fixture.insert("x", "p" + i, "{}"));
		}
		this.store.markPublished(published, false);
		UUID expired = this.fixture.insert("x", "e", "{}");
		UUID fresh = this.fixture.insert("x", "f", "{}");
		this.fixture.jdbc.update("update " + this.events + " set published_at = " + this.fixture.nowPlusSeconds(-7200)
				+ " where status = 'PUBLISHED'");
		this.fixture.jdbc.update("update " + this.events + " set status = 'EXPIRED', expires_at = "
				+ this.fixture.nowPlusSeconds(-7200) + " where id = ?", this.fixture.id(expired));
		assertThat(this.store.purge(Duration.ofHours(3), 1000)).isZero();
		assertThat(this.store.purge(Duration.ofHours(1), 3)).isEqualTo(3);
		assertThat(this.fixture.count("status = 'PUBLISHED'")).isEqualTo(2);
		assertThat(this.fixture.status(expired)).isEqualTo("DELETED");
		assertThat(this.store.purge(Duration.ofHours(1), 3)).isEqualTo(2);
		assertThat(this.store.purge(Duration.ofHours(1), 3)).isZero();
		assertThat(this.fixture.status(fresh)).isEqualTo("PENDING");
	}

	private List<UUID> fetchedIds() {
		return this.store.fetch(ALL, 63, 500, Long.MAX_VALUE)
			.events()
			.stream()
			.map((event) -> event.message().id())
			.toList();
	}

}
