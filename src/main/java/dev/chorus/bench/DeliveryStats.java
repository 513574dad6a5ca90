package dev.chorus.bench;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * Deliveries received by one group of subscribers (healthy or slow) in one phase, and when the
 * timeline is started, the worst latency of each tenth of a second: a tail that comes from one
 * event (a pause, a mass close) shows as a few bad tenths, a steady one as many.
 */
final class DeliveryStats {
  private static final int TIMELINE_TENTHS = 6000;

  final LongAdder received = new LongAdder();
  /** End-to-end latency in µs; recorded from several event loop threads. */
  final ConcurrentHistogram latency = new ConcurrentHistogram(1, BenchResult.MAX_TRACKABLE_MICROS, 3);
  private final AtomicLongArray worstPerTenth = new AtomicLongArray(TIMELINE_TENTHS);
  private volatile long timelineStart = -1; // BenchClock micros

  void record(long latencyMicros) {
    record(latencyMicros, -1);
  }

  /** Records one delivery received at {@code nowMicros} (BenchClock micros). */
  void record(long latencyMicros, long nowMicros) {
    received.increment();
    long l = Math.max(0, Math.min(BenchResult.MAX_TRACKABLE_MICROS, latencyMicros));
    latency.recordValue(l);
    long start = timelineStart;
    if (start < 0 || nowMicros < start) return;
    int tenth = (int) Math.min(TIMELINE_TENTHS - 1, (nowMicros - start) / 100_000);
    if (worstPerTenth.get(tenth) < l) worstPerTenth.accumulateAndGet(tenth, l, Math::max);
  }

  void startTimeline(long nowMicros) {
    timelineStart = nowMicros;
  }

  /** "seconds:worst ms" for every tenth of a second whose worst delivery took more than {@code overMillis}. */
  String badTenths(long overMillis) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < TIMELINE_TENTHS; i++) {
      long worst = worstPerTenth.get(i);
      if (worst > overMillis * 1000) s.append(s.isEmpty() ? "" : " ").append(i / 10).append('.').append(i % 10).append(':').append(worst / 1000);
    }
    return s.toString();
  }
}
