package dev.outbox.relay;

import java.util.List;

import javax.sql.DataSource;

import dev.outbox.OutboxDatabase;
import dev.outbox.OutboxTables;

/**
 * The statements of {@link PartitionLeases} on one database. Every instant written or
 * compared is the database's clock; each method is one statement, or one short
 * transaction, that writes the lease end after it was called.
 */
interface LeaseStatements {

	/**
	 * Create the lease rows {@code 0 .. partitions - 1} that are missing.
	 * @param partitions the number of partitions
	 */
	void createLeases(int partitions);

	/**
	 * Record an instance as live now.
	 * @param instanceId the instance
	 */
	void heartbeat(String instanceId);

	/**
	 * Remove the instances whose last heartbeat is older than the lease duration, then
	 * count the live ones.
	 * @param leaseMillis the lease duration
	 * @return the live instances
	 */
	int liveInstances(long leaseMillis);

	/**
	 * Extend the leases an instance owns below {@code partitions}.
	 * @param instanceId the instance
	 * @param leaseMillis the lease duration
	 * @param partitions the number of partitions
	 * @return the renewed partitions
	 */
	List<Integer> renew(String instanceId, long leaseMillis, int partitions);

	/**
	 * Take up to {@code count} free or expired leases below {@code partitions}, skipping
	 * those another instance is taking.
	 * @param instanceId the instance
	 * @param leaseMillis the lease duration
	 * @param partitions the number of partitions
	 * @param count the most leases taken
	 * @return the acquired partitions
	 */
	List<Integer> acquire(String instanceId, long leaseMillis, int partitions, int count);

	/**
	 * Give up some leases of an instance.
	 * @param instanceId the instance
	 * @param partitions the partitions
	 */
	void release(String instanceId, List<Integer> partitions);

	/**
	 * Give up every lease of an instance and remove it from the live instances.
	 * @param instanceId the instance
	 */
	void releaseAll(String instanceId);

	static LeaseStatements of(OutboxDatabase database, DataSource dataSource, OutboxTables tables) {
		return database.isMySqlFamily() ? new MySqlLeaseStatements(dataSource, tables)
				: new PostgresLeaseStatements(dataSource, tables);
	}

}
