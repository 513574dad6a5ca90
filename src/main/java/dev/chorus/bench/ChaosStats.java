package dev.chorus.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * The chaos clients' own counts, from every event loop: connections and how they ended,
 * reconnects per second, joins refused or timed out, pushes and their answers, and each
 * client's time without service. What the clients received is the {@link ChaosChecker}'s.
 */
final class ChaosStats {
  /** Reconnects are bucketed per second of the run, for this long at most (later ones go in the last). */
  static final int MAX_SECONDS = 6 * 3600;

  private final long originNanos;
  private final AtomicIntegerArray reconnectsPerSecond = new AtomicIntegerArray(MAX_SECONDS);
  final LongAdder connectAttempts = new LongAdder();
  final LongAdder reconnects = new LongAdder();
  final LongAdder reconnectAttempts = new LongAdder();
  final LongAdder joinTimeouts = new LongAdder();
  final LongAdder channelErrors = new LongAdder();
  final LongAdder heartbeatTimeouts = new LongAdder();
  final LongAdder ignoredWhileJoining = new LongAdder();
  final LongAdder framesUnrecognised = new LongAdder();
  final LongAdder pushesSent = new LongAdder();
  final LongAdder pushesAcked = new LongAdder();
  final LongAdder pushesRefused = new LongAdder();
  final LongAdder pushesUnanswered = new LongAdder();
  final LongAdder pushesSkippedNotJoined = new LongAdder();
  final LongAdder pushesSkippedLate = new LongAdder();
  final LongAdder lateReplies = new LongAdder();
  private final Map<String, LongAdder> connectFailures = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> connectionEnds = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> joinErrors = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> pushRefusals = new ConcurrentHashMap<>();
  /** Each outage of a client, from losing service to every topic joined again, in µs. */
  final ConcurrentHistogram withoutService = new ConcurrentHistogram(1, BenchResult.MAX_TRACKABLE_MICROS, 3);
  /** Time from a client's first connect to its first moment in service (every topic joined), in µs. */
  final ConcurrentHistogram firstService = new ConcurrentHistogram(1, BenchResult.MAX_TRACKABLE_MICROS, 3);

  ChaosStats(long originNanos) {
    this.originNanos = originNanos;
  }

  void reconnected(long nowNanos) {
    reconnects.increment();
    int second = (int) Math.min(MAX_SECONDS - 1, Math.max(0, (nowNanos - originNanos) / 1_000_000_000L));
    reconnectsPerSecond.incrementAndGet(second);
  }

  /** The most reconnects completed (WebSocket open) within one second of the run. */
  int peakReconnectsPerSecond() {
    int peak = 0;
    for (int i = 0; i < reconnectsPerSecond.length(); i++) peak = Math.max(peak, reconnectsPerSecond.get(i));
    return peak;
  }

  /** "second:count" for every second of the run with reconnects, for the notes. */
  String reconnectTimeline() {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < reconnectsPerSecond.length(); i++) {
      int n = reconnectsPerSecond.get(i);
      if (n > 0) s.append(s.isEmpty() ? "" : " ").append(i).append(':').append(n);
    }
    return s.toString();
  }

  void connectFailed(String reason) {
    connectFailures.computeIfAbsent(reason, k -> new LongAdder()).increment();
  }

  void connectionEnded(String how) {
    connectionEnds.computeIfAbsent(how, k -> new LongAdder()).increment();
  }

  void joinError(String reason) {
    joinErrors.computeIfAbsent(reason, k -> new LongAdder()).increment();
  }

  void pushRefused(String reason) {
    pushesRefused.increment();
    pushRefusals.computeIfAbsent(reason, k -> new LongAdder()).increment();
  }

  void outage(long nanos) {
    withoutService.recordValue(Math.max(1, Math.min(BenchResult.MAX_TRACKABLE_MICROS, nanos / 1000)));
  }

  void firstInService(long nanos) {
    firstService.recordValue(Math.max(1, Math.min(BenchResult.MAX_TRACKABLE_MICROS, nanos / 1000)));
  }

  Map<String, Long> connectFailures() {
    return snapshot(connectFailures);
  }

  Map<String, Long> connectionEnds() {
    return snapshot(connectionEnds);
  }

  Map<String, Long> joinErrors() {
    return snapshot(joinErrors);
  }

  Map<String, Long> pushRefusals() {
    return snapshot(pushRefusals);
  }

  private static Map<String, Long> snapshot(Map<String, LongAdder> m) {
    Map<String, Long> out = new TreeMap<>();
    m.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
