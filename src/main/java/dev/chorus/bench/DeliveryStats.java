package dev.chorus.bench;

import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;

/** Deliveries received by one group of subscribers (healthy or slow) in one phase. */
final class DeliveryStats {
  final LongAdder received = new LongAdder();
  /** End-to-end latency in µs; recorded from several event loop threads. */
  final ConcurrentHistogram latency = new ConcurrentHistogram(1, BenchResult.MAX_TRACKABLE_MICROS, 3);

  void record(long latencyMicros) {
    received.increment();
    latency.recordValue(Math.max(0, Math.min(BenchResult.MAX_TRACKABLE_MICROS, latencyMicros)));
  }
}
