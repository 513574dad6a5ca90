package dev.chorus.ops;

import static org.junit.jupiter.api.Assertions.*;

import dev.chorus.metrics.Metrics;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The admin API's samples without a node: rates over an interval, fan-out quantiles of the
 * interval alone from histogram bucket deltas, and the bounded ring that keeps them.
 */
class SamplerTest {
  static final double[] BOUNDS = {0.001, 0.01, 0.1, Double.POSITIVE_INFINITY};

  static BucketQuantile.Buckets buckets(long... counts) {
    return new BucketQuantile.Buckets(BOUNDS, counts);
  }

  static NodeSnapshot snapshot(long atMillis, int connections, long joins, long publishes, long deliveries,
      Map<String, Long> refused, BucketQuantile.Buckets fanout, long cpuNanos) {
    return new NodeSnapshot(atMillis, atMillis * 1_000_000, connections, joins, publishes, deliveries, 3, 10, refused, fanout,
        1234, cpuNanos);
  }

  @Test
  void ratesArePerSecondOverTheInterval() {
    NodeSnapshot before = snapshot(10_000, 1, 100, 50, 1000, Map.of("origin", 4L), buckets(0, 0, 0, 0), 0);
    NodeSnapshot after = new NodeSnapshot(12_000, 12_000_000_000L, 5, 110, 53, 1600, 7, 30,
        Map.of("origin", 6L, "ip_rate", 1L), buckets(0, 0, 0, 0), 4096, 1_000_000_000L);
    Sample s = after.sampleSince(before);
    assertEquals(12_000, s.t());
    assertEquals(5, s.connections());
    assertEquals(5.0, s.joinsPerS());
    assertEquals(1.5, s.publishesPerS());
    assertEquals(300.0, s.deliveriesPerS());
    assertEquals(2.0, s.slowClosesPerS());
    assertEquals(10.0, s.crossNodePerS());
    assertEquals(Map.of("origin", 1.0, "ip_rate", 0.5), s.refusedPerS(), "a key per reason seen, new ones from 0");
    assertEquals(4096, s.heapUsedBytes());
    assertEquals(0.5, s.cpuCoresUsed(), "a second of CPU in two seconds");
  }

  @Test
  void ratesAreRoundedToAThousandthAndNeverNegative() {
    NodeSnapshot before = snapshot(0, 0, 0, 0, 0, Map.of(), buckets(0, 0, 0, 0), 0);
    NodeSnapshot after = new NodeSnapshot(3_000, 3_000_000_000L, 0, 1, 0, 0, 0, 0, Map.of(), buckets(0, 0, 0, 0), 0, 0);
    assertEquals(0.333, after.sampleSince(before).joinsPerS());
    // A counter that went back (it never should) counts as nothing rather than a negative rate.
    assertEquals(0.0, before.sampleSince(after).joinsPerS());
    assertEquals(0.0, after.sampleSince(after).joinsPerS(), "an empty interval has no rate");
  }

  @Test
  void fanoutQuantilesAreOfTheIntervalOnlyAndNullWhenNothingWasFannedOut() {
    BucketQuantile.Buckets start = buckets(1000, 0, 0, 0); // the past: all fast
    NodeSnapshot before = snapshot(0, 0, 0, 0, 0, Map.of(), start, 0);
    NodeSnapshot idle = snapshot(1000, 0, 0, 0, 0, Map.of(), start, 0);
    Sample quiet = idle.sampleSince(before);
    assertNull(quiet.fanoutP50Ms());
    assertNull(quiet.fanoutP99Ms());
    // This interval: 10 observations in (1 ms, 10 ms]; the 1 000 older fast ones do not count.
    NodeSnapshot busy = snapshot(1000, 0, 0, 0, 0, Map.of(), buckets(1000, 10, 0, 0), 0);
    Sample s = busy.sampleSince(before);
    assertEquals(5.5, s.fanoutP50Ms(), "rank 5 of 10 in (1, 10] ms: 1 + 9 x 5/10");
    assertEquals(9.91, s.fanoutP99Ms(), 1e-9, "rank 9.9 of 10: 1 + 9 x 9.9/10");
  }

  @Test
  void quantilesInterpolateInsideTheirBucketFromZeroForTheFirst() {
    BucketQuantile.Buckets none = buckets(0, 0, 0, 0);
    assertEquals(0.0005, BucketQuantile.of(0.5, none, buckets(4, 0, 0, 0)), 1e-12, "the first bucket starts at 0");
    assertEquals(0.001, BucketQuantile.of(1.0, none, buckets(4, 0, 0, 0)), 1e-12);
    // 2 in the first bucket, 2 in the third: the median is the top of the first.
    assertEquals(0.001, BucketQuantile.of(0.5, none, buckets(2, 0, 2, 0)), 1e-12);
    assertEquals(0.0775, BucketQuantile.of(0.875, none, buckets(2, 0, 2, 0)), 1e-12, "rank 3.5: 0.01 + 0.09 x 1.5/2");
    assertNull(BucketQuantile.of(0.99, none, none));
    assertNull(BucketQuantile.of(0.5, buckets(5, 5, 5, 5), buckets(5, 5, 5, 5)), "nothing new in the interval");
  }

  @Test
  void aQuantileInTheInfiniteBucketIsTheHighestFiniteBound() {
    BucketQuantile.Buckets none = buckets(0, 0, 0, 0);
    assertEquals(0.1, BucketQuantile.of(0.99, none, buckets(0, 0, 0, 3)), 1e-12, "as Prometheus's histogram_quantile answers");
    assertEquals(0.1, BucketQuantile.of(0.99, none, buckets(90, 0, 0, 10)), 1e-12);
    assertEquals(0.001 * 50 / 90, BucketQuantile.of(0.5, none, buckets(90, 0, 0, 10)), 1e-12, "below the infinite bucket: interpolated");
  }

  @Test
  void theNodesFanoutHistogramIsReadAsPerBucketCounts() {
    Metrics metrics = new Metrics();
    BucketQuantile.Buckets before = NodeStatus.fanoutBuckets(metrics);
    for (int i = 0; i < 3; i++) metrics.fanoutLatency.observe(0.003);
    metrics.fanoutLatency.observe(0.00005);
    BucketQuantile.Buckets after = NodeStatus.fanoutBuckets(metrics);
    assertEquals(Double.POSITIVE_INFINITY, after.upperBounds()[after.upperBounds().length - 1]);
    long total = 0;
    for (long c : after.counts()) total += c;
    assertEquals(4, total, "counts per bucket, not cumulative");
    Double p50 = BucketQuantile.of(0.5, before, after);
    assertNotNull(p50);
    assertTrue(p50 > 0.0025 && p50 <= 0.005, "the median is in (2.5 ms, 5 ms]: " + p50);
  }

  @Test
  void theRingKeepsTheLastNOldestFirst() {
    BoundedRing<Integer> ring = new BoundedRing<>(3);
    assertNull(ring.latest());
    assertEquals(List.of(), ring.oldestFirst());
    ring.add(1);
    ring.add(2);
    assertEquals(List.of(1, 2), ring.oldestFirst());
    ring.add(3);
    ring.add(4);
    ring.add(5);
    assertEquals(List.of(3, 4, 5), ring.oldestFirst());
    assertEquals(3, ring.size());
    assertEquals(5, ring.latest());
    assertThrows(IllegalArgumentException.class, () -> new BoundedRing<>(0));
  }

  @Test
  void streamSlotsAreBoundedAndEachIsGivenBackOnce() {
    StreamSlots slots = new StreamSlots(2);
    StreamSlots.Slot first = slots.tryAcquire();
    assertNotNull(first);
    assertNotNull(slots.tryAcquire());
    assertNull(slots.tryAcquire());
    assertEquals(2, slots.open());
    first.release();
    first.release(); // the stream's end and the unstarted-stream check may both give it back
    assertEquals(1, slots.open());
    assertNotNull(slots.tryAcquire());
    assertNull(slots.tryAcquire());
  }

  @Test
  void aSampleRendersTheFieldsTheDashboardReads() {
    Sample s = new Sample(1, 2, 3, 4, 5, null, 7.5, 8, Map.of("origin", 1.0), 9, 10, 0.25);
    assertEquals(List.of("t", "connections", "joins_per_s", "publishes_per_s", "deliveries_per_s", "fanout_p50_ms",
        "fanout_p99_ms", "slow_closes_per_s", "refused_per_s", "cross_node_per_s", "heap_used_bytes", "cpu_cores_used"),
        List.copyOf(s.json().keySet()));
    assertNull(s.json().get("fanout_p50_ms"));
    assertEquals(Map.of("origin", 1.0), s.json().get("refused_per_s"));
  }
}
