package dev.outbox.benchmarks;

import java.util.Arrays;

/**
 * Summary of measured durations, in microseconds.
 */
record Stats(int count, double mean, double p50, double p99) {

	static Stats of(long[] nanos) {
		long[] sorted = nanos.clone();
		Arrays.sort(sorted);
		double mean = Arrays.stream(sorted).average().orElse(0) / 1000.0;
		return new Stats(sorted.length, mean, percentile(sorted, 0.50), percentile(sorted, 0.99));
	}

	private static double percentile(long[] sorted, double p) {
		int index = (int) Math.ceil(p * sorted.length) - 1;
		return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1000.0;
	}

}
