package dev.chorus.ops;

import java.util.HashMap;
import java.util.Map;

/**
 * What a node's counters and gauges read at one moment ({@link NodeStatus} takes one every
 * chorus.admin.sample-interval): the difference of two consecutive snapshots is a
 * {@link Sample}. Pure, so that the rates and quantiles are tested without a node.
 *
 * @param atMillis when, for the sample's {@code t} (epoch ms)
 * @param atNanos when, on the monotonic clock that the rates divide by
 * @param connections open connections (WebSockets and LongPoll sessions)
 * @param joins chorus_joins_total
 * @param publishes chorus_publishes_total
 * @param deliveries chorus_deliveries_total
 * @param slowCloses chorus_slow_consumer_closes_total, all reasons
 * @param crossNode chorus_cross_node_deliveries_total
 * @param refused chorus_connections_refused_total by reason
 * @param fanout chorus_fanout_latency_seconds's buckets
 * @param heapUsedBytes the heap in use
 * @param cpuNanos CPU time the process has used (all its threads)
 */
public record NodeSnapshot(
    long atMillis,
    long atNanos,
    int connections,
    long joins,
    long publishes,
    long deliveries,
    long slowCloses,
    long crossNode,
    Map<String, Long> refused,
    BucketQuantile.Buckets fanout,
    long heapUsedBytes,
    long cpuNanos) {

  /**
   * The sample of the interval from {@code before} to this snapshot: per second over it,
   * rounded to a thousandth (the charts show no more); the fan-out quantiles in milliseconds.
   */
  public Sample sampleSince(NodeSnapshot before) {
    double seconds = (atNanos - before.atNanos) / 1e9;
    Map<String, Double> refusedPerS = new HashMap<>();
    refused.forEach((reason, n) -> refusedPerS.put(reason, rate(n - before.refused.getOrDefault(reason, 0L), seconds)));
    return new Sample(
        atMillis,
        connections,
        rate(joins - before.joins, seconds),
        rate(publishes - before.publishes, seconds),
        rate(deliveries - before.deliveries, seconds),
        millis(BucketQuantile.of(0.5, before.fanout, fanout)),
        millis(BucketQuantile.of(0.99, before.fanout, fanout)),
        rate(slowCloses - before.slowCloses, seconds),
        Map.copyOf(refusedPerS),
        rate(crossNode - before.crossNode, seconds),
        heapUsedBytes,
        round(seconds <= 0 ? 0 : (cpuNanos - before.cpuNanos) / 1e9 / seconds));
  }

  private static double rate(long delta, double seconds) {
    return seconds <= 0 || delta <= 0 ? 0.0 : round(delta / seconds);
  }

  private static Double millis(Double seconds) {
    return seconds == null ? null : round(seconds * 1000);
  }

  static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
