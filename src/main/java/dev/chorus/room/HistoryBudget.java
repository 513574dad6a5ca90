package dev.chorus.room;

import dev.chorus.metrics.Metrics;
import java.util.Comparator;
import java.util.TreeSet;

/**
 * The bytes of history all room entities of one node may keep together
 * ({@code chorus.room.node-history-max-bytes}): one object shared by the node's
 * {@link RoomHistory}s. Over the budget, the oldest messages of the biggest histories go
 * first, so a few huge rooms cannot take the recovery of every other room with them.
 *
 * <p>Entities run on different threads, and one entity's message may evict another's, so every
 * history of a budget changes under the budget's monitor ({@link RoomHistory} synchronizes on
 * it); the critical sections are short (a deque, a tree of histories by size), and frames are
 * copied to and from their off-heap buffers under it only when read for a recovery.
 */
final class HistoryBudget {
  private final long maxBytes;
  private final Metrics metrics; // null: not counted (tests, a topic of no namespace)
  private long bytes;
  /** Histories holding anything, biggest first (ties: the older history first). */
  private final TreeSet<RoomHistory> biggestFirst = new TreeSet<>(
      Comparator.comparingLong((RoomHistory h) -> -h.bytes).thenComparingLong(h -> h.id));

  HistoryBudget(long maxBytes, Metrics metrics) {
    this.maxBytes = maxBytes;
    this.metrics = metrics;
  }

  /** A budget without a bound, for a history of its own (tests, topics of no namespace). */
  static HistoryBudget unbounded() {
    return new HistoryBudget(Long.MAX_VALUE, null);
  }

  /** Bytes held by all histories of this budget. */
  synchronized long bytes() {
    return bytes;
  }

  long maxBytes() {
    return maxBytes;
  }

  // ---- called by RoomHistory, under this monitor ----

  /** {@code h} grows (or shrinks) by {@code delta} bytes. */
  void resize(RoomHistory h, long delta) {
    if (h.bytes > 0) biggestFirst.remove(h);
    h.bytes += delta;
    bytes += delta;
    if (h.bytes > 0) biggestFirst.add(h);
    if (metrics != null) metrics.historyBytes.addAndGet(delta);
  }

  /** Over the budget: drop the oldest message of the biggest history until it fits again. */
  void enforce() {
    while (bytes > maxBytes && !biggestFirst.isEmpty()) biggestFirst.first().evictOldest(RoomHistory.NODE_BYTES);
  }

  void evicted(String cause, int n) {
    if (metrics != null && n > 0) metrics.historyEvicted(cause, n);
  }
}
