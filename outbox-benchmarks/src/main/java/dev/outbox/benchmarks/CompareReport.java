package dev.outbox.benchmarks;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The figures of every round of {@code compare}, printed as one markdown table: per
 * metric the median over the rounds for each peer, and the ratio outbox ÷ peer.
 */
final class CompareReport {

	private final List<String> peers;

	private final Map<String, Map<String, List<Double>>> figures = new LinkedHashMap<>();

	/**
	 * A report on the given peers, the outbox first.
	 * @param peers peer ids in column order
	 */
	CompareReport(List<String> peers) {
		this.peers = peers;
	}

	void add(String peer, Map<String, Double> metrics) {
		metrics.forEach((metric, value) -> this.figures.computeIfAbsent(metric, (m) -> new LinkedHashMap<>())
			.computeIfAbsent(peer, (p) -> new ArrayList<>())
			.add(value));
	}

	/**
	 * The metrics, in table order.
	 * @return the row labels
	 */
	List<String> metrics() {
		return List.copyOf(this.figures.keySet());
	}

	/**
	 * The median of a metric over the rounds.
	 * @param metric the row label
	 * @param peer the peer id
	 * @return the median, {@code NaN} if the peer has no figure for it
	 */
	double median(String metric, String peer) {
		List<Double> values = this.figures.getOrDefault(metric, Map.of()).getOrDefault(peer, List.of());
		return Stats.median(values.stream().mapToDouble(Double::doubleValue).toArray());
	}

	/**
	 * Print the table.
	 * @param out where to
	 * @param names display name per peer id
	 */
	void print(PrintStream out, Map<String, String> names) {
		String reference = this.peers.get(0);
		List<String> others = this.peers.subList(1, this.peers.size());
		StringBuilder header = new StringBuilder("| metric |");
		StringBuilder rule = new StringBuilder("|---|");
		this.peers.forEach((peer) -> {
			header.append(' ').append(names.get(peer)).append(" |");
			rule.append("---:|");
		});
		others.forEach((peer) -> {
			header.append(' ').append(names.get(reference)).append(" ÷ ").append(names.get(peer)).append(" |");
			rule.append("---:|");
		});
		out.println(header);
		out.println(rule);
		this.figures.keySet().forEach((metric) -> {
			StringBuilder row = new StringBuilder("| ").append(metric).append(" |");
			this.peers.forEach((peer) -> row.append(' ').append(format(metric, median(metric, peer))).append(" |"));
			double outbox = median(metric, reference);
			others.forEach((peer) -> row.append(' ').append(ratio(metric, outbox, median(metric, peer))).append(" |"));
			out.println(row);
		});
	}

	private static String format(String metric, double value) {
		if (Double.isNaN(value)) {
			return "–";
		}
		if (metric.endsWith("%")) {
			return "%+.0f%%".formatted(value);
		}
		if (metric.endsWith(" ms")) {
			return "%.2f".formatted(value);
		}
		return "%,.0f".formatted(value);
	}

	// a ratio of two overheads says nothing when one of them is not positive
	private static String ratio(String metric, double outbox, double peer) {
		if (Double.isNaN(outbox) || Double.isNaN(peer) || peer == 0
				|| (metric.endsWith("%") && (outbox <= 0 || peer <= 0))) {
			return "–";
		}
		return "%.2f".formatted(outbox / peer);
	}

}
