package dev.chorus.transport;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How many of something each key holds open (connections per user, sockets per address), each
 * at most a limit. A key has an entry only while its count is above zero, so the map holds at
 * most as many entries as there are things open. Thread-safe.
 */
final class CountsPerKey {
  private final Map<String, Integer> counts = new ConcurrentHashMap<>();

  /** Counts one more for {@code key} and returns true, unless it already holds {@code max} (0: no limit). */
  boolean tryAcquire(String key, int max) {
    boolean[] acquired = {false};
    counts.compute(key, (k, n) -> {
      int count = n == null ? 0 : n;
      if (max > 0 && count >= max) return n;
      acquired[0] = true;
      return count + 1;
    });
    return acquired[0];
  }

  /** One that {@link #tryAcquire} counted for {@code key} has gone. */
  void release(String key) {
    counts.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** Keys holding anything. */
  int keys() {
    return counts.size();
  }
}
