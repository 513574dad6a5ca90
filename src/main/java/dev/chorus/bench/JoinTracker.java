package dev.chorus.bench;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Opens connections at a paced rate and tracks how they went: connect+handshake+join latency,
 * failures by reason. Every scenario ramps up through it.
 */
final class JoinTracker {
  /** Connections started but neither joined nor failed; more wait, so bursts cannot overflow the accept queue. */
  private static final int MAX_IN_FLIGHT = 2_000;

  private final ConcurrentHistogram latency = new ConcurrentHistogram(1, BenchResult.MAX_TRACKABLE_MICROS, 3);
  private final LongAdder joined = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final Map<String, LongAdder> reasons = new ConcurrentHashMap<>();
  private volatile String firstFailure;
  private volatile long lastJoinNanos;
  private long startNanos;
  private long rampNanos;
  private int attempted;

  void joined(PhoenixClient client) {
    long now = System.nanoTime();
    latency.recordValue(Math.min(BenchResult.MAX_TRACKABLE_MICROS, Math.max(1, (now - client.startNanos) / 1_000)));
    lastJoinNanos = now;
    joined.increment();
  }

  void failed(PhoenixClient client, String reason) {
    if (firstFailure == null) firstFailure = reason;
    // Keyed by the kind of failure (exception class or first words), not the full message.
    String key = reason.replaceAll("[^A-Za-z0-9 ]", " ").trim().replaceAll("\\s+", "_");
    if (key.length() > 48) key = key.substring(0, 48);
    reasons.computeIfAbsent(key, k -> new LongAdder()).increment();
    failed.increment();
  }

  long settled() {
    return joined.sum() + failed.sum();
  }

  long joinedCount() {
    return joined.sum();
  }

  /**
   * Starts connecting {@code clients}, {@code rate} per second, and waits until every one has
   * joined or failed, or {@code settleTimeoutMillis} after the last one started.
   */
  void openAll(ClientTransport transport, List<PhoenixClient> clients, double rate, long settleTimeoutMillis) {
    startNanos = System.nanoTime();
    double intervalNanos = 1e9 / rate;
    for (int k = 0; k < clients.size(); k++) {
      long due = startNanos + (long) (k * intervalNanos);
      long wait;
      while ((wait = due - System.nanoTime()) > 0) LockSupport.parkNanos(wait);
      long inFlightDeadline = System.nanoTime() + settleTimeoutMillis * 1_000_000;
      while (k - settled() >= MAX_IN_FLIGHT && System.nanoTime() < inFlightDeadline) {
        LockSupport.parkNanos(1_000_000);
      }
      transport.connect(clients.get(k));
      attempted++;
    }
    rampNanos = System.nanoTime() - startNanos;
    long deadline = System.nanoTime() + settleTimeoutMillis * 1_000_000;
    while (settled() < clients.size() && System.nanoTime() < deadline) LockSupport.parkNanos(5_000_000);
  }

  /** Adds the figures under {@code prefix} (e.g. "connect."). */
  void report(BenchResult r, String prefix) {
    r.count(prefix + "attempted", attempted);
    r.count(prefix + "joined", joined.sum());
    r.count(prefix + "failed", failed.sum());
    r.count(prefix + "pending", attempted - settled());
    reasons.forEach((k, v) -> r.count(prefix + "failed_reason." + k, v.sum()));
    r.gauge(prefix + "ramp_seconds", rampNanos / 1e9);
    long last = lastJoinNanos;
    r.gauge(prefix + "last_join_seconds", last == 0 ? 0 : (last - startNanos) / 1e9);
    Histogram copy = latency.copy();
    r.addHistogram(prefix + "latency", copy);
    if (firstFailure != null) r.notes.put(prefix + "first_failure", firstFailure);
  }

  /** A client listener that reports joins and failures to a tracker; scenarios add the rest. */
  static class Reporting implements PhoenixClient.Listener {
    private final JoinTracker tracker;

    Reporting(JoinTracker tracker) {
      this.tracker = tracker;
    }

    @Override
    public void joined(PhoenixClient client) {
      tracker.joined(client);
    }

    @Override
    public void failed(PhoenixClient client, String reason) {
      tracker.failed(client, reason);
    }
  }
}
