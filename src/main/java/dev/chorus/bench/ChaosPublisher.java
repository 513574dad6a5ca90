package dev.chorus.bench;

import io.netty.util.concurrent.ScheduledFuture;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The publishing side of a chaos publisher client: pushes event {@code msg} with payload
 * {@code {"p": <publisher>, "n": <counter>}} at a steady rate, round-robin over its rooms, on its
 * client's event loop, and counts each push as acked (ok reply: the room sequenced it), refused
 * (error reply) or unanswered (no reply within 10 s, or its connection lost first). A push is
 * never sent again: a retry would make a duplicate by design. A push due while its room is not
 * joined (the client is reconnecting or rejoining) is skipped and counted.
 */
final class ChaosPublisher {
  /** phoenix.js's default push timeout. */
  static final long PUSH_TIMEOUT_NANOS = 10_000_000_000L;
  private static final long TICK_MILLIS = 5;
  /** At most this many pushes catch up in one tick; a longer stall skips (counted), never bursts past the server's rate limit. */
  private static final int MAX_CATCH_UP = 5;

  final int p;
  private final ChaosClient client;
  private final double ratePerSecond;
  private final ChaosChecker checker;
  private final ChaosStats stats;
  /** ref -> {n, sent at}, in the order sent. */
  private final Map<String, long[]> pending = new LinkedHashMap<>();
  private volatile int pendingCount;
  private ScheduledFuture<?> tick;
  private boolean publishing;
  private long startNanos;
  private long issued;
  private long n;
  private int next;

  ChaosPublisher(int p, ChaosClient client, double ratePerSecond, ChaosChecker checker, ChaosStats stats) {
    this.p = p;
    this.client = client;
    this.ratePerSecond = ratePerSecond;
    this.checker = checker;
    this.stats = stats;
    client.attach(this);
  }

  /** Pushes still waiting for their answer (read from any thread). */
  int pending() {
    return pendingCount;
  }

  void start() {
    client.loop().execute(() -> {
      publishing = true;
      startNanos = System.nanoTime();
      tick = client.loop().scheduleAtFixedRate(this::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
    });
  }

  /**
   * No more pushes; the ones under way are still answered or time out. Done when the returned
   * future is: from then on {@link #pending} counts every push sent.
   */
  Future<?> stopPublishing() {
    return client.loop().submit(() -> {
      publishing = false;
    });
  }

  /** On the client's loop, when it closes for good. */
  void stop() {
    publishing = false;
    if (tick != null) tick.cancel(false);
  }

  private void tick() {
    long now = System.nanoTime();
    expire(now);
    if (!publishing) return;
    long due = (long) ((now - startNanos) * ratePerSecond / 1e9);
    if (due - issued > MAX_CATCH_UP) {
      stats.pushesSkippedLate.add(due - issued - MAX_CATCH_UP);
      issued = due - MAX_CATCH_UP;
    }
    while (issued < due) {
      issued++;
      int k = next;
      next = (next + 1) % client.roomCount();
      String ref = client.push(k, "msg", "{\"p\":" + p + ",\"n\":" + (n + 1) + "}");
      if (ref == null) {
        stats.pushesSkippedNotJoined.increment();
        continue;
      }
      n++;
      stats.pushesSent.increment();
      pending.put(ref, new long[] {n, now});
    }
    pendingCount = pending.size();
  }

  private void expire(long now) {
    for (Iterator<long[]> it = pending.values().iterator(); it.hasNext(); ) {
      long[] push = it.next();
      if (now - push[1] < PUSH_TIMEOUT_NANOS) break; // in the order sent: the rest are younger
      it.remove();
      stats.pushesUnanswered.increment();
    }
    pendingCount = pending.size();
  }

  /** A reply to one of its pushes (on the client's loop). */
  void replied(String ref, boolean ok, String reason) {
    long[] push = pending.remove(ref);
    pendingCount = pending.size();
    if (push == null) {
      stats.lateReplies.increment(); // after its timeout, or to something else
      return;
    }
    if (ok) {
      stats.pushesAcked.increment();
      checker.acked(p, push[0]);
    } else {
      stats.pushRefused(reason);
    }
  }

  /** Its connection is gone: what it had not answered never will be. */
  void connectionLost() {
    stats.pushesUnanswered.add(pending.size());
    pending.clear();
    pendingCount = 0;
  }
}
