package dev.outbox.benchmarks;

import java.util.Arrays;
import java.util.Collection;

/**
 * Summary of measured durations, in microseconds: the one place where the benchmarks take
 * percentiles and medians.
 *
 * @param count the number of measurements
 * @param mean the mean
 * @param p50 the median
 * @param p99 the 99th percentile
 * @param max the largest
 */
record Stats(int count, double mean, double p50, double p99, double max) {

	/**
	 * Summarize durations.
	 * @param nanos the durations in nanoseconds, left unchanged
	 * @return their summary in microseconds; all {@code NaN} when there are none
	 */
	static Stats of(long[] nanos) {
		long[] sorted = nanos.clone();
		Arrays.sort(sorted);
		double mean = Arrays.stream(sorted).average().orElse(Double.NaN) / 1000.0;
		return new Stats(sorted.length, mean, percentile(sorted, 0.50) / 1000.0, percentile(sorted, 0.99) / 1000.0,
				percentile(sorted, 1.0) / 1000.0);
	}

	/**
	 * Summarize durations.
	 * @param nanos the durations in nanoseconds
	 * @return their summary in microseconds
	 */
	static Stats of(Collection<Long> nanos) {
		return of(nanos.stream().mapToLong(Long::longValue).toArray());
	}

	/**
	 * The nearest-rank percentile of sorted values.
	 * @param sorted values in ascending order
	 * @param p the fraction, {@code 0.5} for the median, {@code 1.0} for the largest
	 * @return the value, {@code NaN} when there is none
	 */
	static double percentile(long[] sorted, double p) {
		if (sorted.length == 0) {
			return Double.NaN;
		}
		int index = (int) Math.ceil(p * sorted.length) - 1;
		return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
	}

	/**
	 * The median of a few figures, such as one per round (the mean of the middle two for
	 * an even count).
	 * @param values the figures, left unchanged
	 * @return the median, {@code NaN} when there is none
	 */
	static double median(double[] values) {
		if (values.length == 0) {
			return Double.NaN;
		}
		double[] sorted = values.clone();
		Arrays.sort(sorted);
		int middle = sorted.length / 2;
		return (sorted.length % 2 == 1) ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
	}

	/**
	 * The median in milliseconds.
	 * @return {@link #p50()} / 1000
	 */
	double p50Millis() {
		return this.p50 / 1000.0;
	}

	/**
	 * The 99th percentile in milliseconds.
	 * @return {@link #p99()} / 1000
	 */
	double p99Millis() {
		return this.p99 / 1000.0;
	}

	/**
	 * The largest in milliseconds.
	 * @return {@link #max()} / 1000
	 */
	double maxMillis() {
		return this.max / 1000.0;
	}

	/**
	 * The median, 99th percentile and maximum in milliseconds, for a log line.
	 * @return for example {@code p50 1.2 ms, p99 4.5 ms, max 9.0 ms}
	 */
	String millis() {
		return "p50 %.2f ms, p99 %.2f ms, max %.1f ms".formatted(p50Millis(), p99Millis(), maxMillis());
	}

}
