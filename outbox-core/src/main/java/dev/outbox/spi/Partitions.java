package dev.outbox.spi;

/**
 * How message keys map to relay partitions. The writer stores the partition of each event
 * and the relay instances share the partitions among themselves, so every event of one
 * key is delivered by one instance at a time, in order. Writers and relays must use the
 * same count.
 */
public final class Partitions {

	/** Default number of partitions. */
	public static final int DEFAULT_COUNT = 16;

	private Partitions() {
	}

	/**
	 * The partition of a message key.
	 * @param key the message key
	 * @param count the number of partitions, at least 1
	 * @return a partition in {@code [0, count)}
	 */
	public static int of(String key, int count) {
		if (count < 1) {
			throw new IllegalArgumentException("Partition count must be at least 1, was " + count);
		}
		int h = key.hashCode();
		h ^= (h >>> 16);
		h *= 0x45d9f3b;
		h ^= (h >>> 16);
		return Math.floorMod(h, count);
	}

}
