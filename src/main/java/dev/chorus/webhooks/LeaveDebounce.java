package dev.chorus.webhooks;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Holds back user_left for {@code delay}: a user whose last connection left and who comes back
 * within it produced nothing (a flapping client, a page reload), so the backend hears neither
 * the leave nor the second join. Pure, with the time passed in (milliseconds of any clock).
 *
 * <p>At most {@code capacity} leaves wait (the namespace's max-members); one more sends the
 * oldest at once, so a churn of many users costs bounded memory and only loses debouncing.
 */
public final class LeaveDebounce {
  private final long delayMs;
  private final int capacity;
  /** Users whose leave waits, with when it is due; in the order they left, so oldest first. */
  private final LinkedHashMap<String, Long> pending = new LinkedHashMap<>();

  public LeaveDebounce(long delayMs, int capacity) {
    this.delayMs = delayMs;
    this.capacity = Math.max(capacity, 1);
  }

  /** The user's first connection came: true when that is news (user_joined), false when it cancels a waiting leave. */
  public boolean arrived(String user) {
    return pending.remove(user) == null;
  }

  /**
   * The user's last connection left at {@code now}: the leave waits, and what this returns is to
   * be sent now (the leave itself without a delay, or the oldest one pushed out by the bound).
   */
  public List<String> gone(String user, long now) {
    if (delayMs <= 0) return List.of(user);
    pending.remove(user);
    pending.put(user, now + delayMs);
    if (pending.size() <= capacity) return List.of();
    Iterator<String> oldest = pending.keySet().iterator();
    String pushedOut = oldest.next();
    oldest.remove();
    return List.of(pushedOut);
  }

  /** The leaves due at {@code now}, taken out, oldest first. */
  public List<String> due(long now) {
    List<String> due = new ArrayList<>();
    for (Iterator<Map.Entry<String, Long>> it = pending.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Long> e = it.next();
      if (e.getValue() > now) break; // in leaving order, so in deadline order
      due.add(e.getKey());
      it.remove();
    }
    return due;
  }

  /** Every waiting leave, taken out (the topic is vacated, or its entity stops). */
  public List<String> drain() {
    List<String> all = new ArrayList<>(pending.keySet());
    pending.clear();
    return all;
  }

  /** Milliseconds from {@code now} to the next leave due; -1 when none waits. */
  public long untilNext(long now) {
    if (pending.isEmpty()) return -1;
    return Math.max(pending.values().iterator().next() - now, 0);
  }

  public int waiting() {
    return pending.size();
  }
}
