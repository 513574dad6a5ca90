package dev.chorus.ops;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The node's counters. Plain {@link LongAdder}s, cheap enough for the fan-out path; the
 * Prometheus endpoint (issue "metrics") exports them.
 */
public final class Metrics {
  public final LongAdder connectionsOpened = new LongAdder();
  public final LongAdder connectionsClosed = new LongAdder();
  public final LongAdder joins = new LongAdder();
  public final LongAdder joinsRefused = new LongAdder();
  public final LongAdder leaves = new LongAdder();
  public final LongAdder publishes = new LongAdder();
  public final LongAdder deliveries = new LongAdder();
  /** Frames not queued because the connection was closing or overflowed. */
  public final LongAdder deliveriesDropped = new LongAdder();
  public final LongAdder slowConsumerCloses = new LongAdder();
  public final LongAdder badFrames = new LongAdder();
  public final LongAdder rateLimited = new LongAdder();
  public final LongAdder channelFailures = new LongAdder();
  private final ConcurrentHashMap<String, LongAdder> closedByReason = new ConcurrentHashMap<>();

  public void connectionClosed(String reasonLabel) {
    connectionsClosed.increment();
    closedByReason.computeIfAbsent(reasonLabel, k -> new LongAdder()).increment();
  }

  public long closedBy(String reasonLabel) {
    LongAdder a = closedByReason.get(reasonLabel);
    return a == null ? 0 : a.sum();
  }

  /** Connections closed so far, by reason label. */
  public java.util.Map<String, Long> closedByReason() {
    java.util.Map<String, Long> m = new java.util.TreeMap<>();
    closedByReason.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }

  public long connectionsCurrent() {
    return connectionsOpened.sum() - connectionsClosed.sum();
  }
}
