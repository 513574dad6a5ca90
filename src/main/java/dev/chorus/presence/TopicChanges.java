package dev.chorus.presence;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The replica's batching of one watched topic: what its room has been told ({@code announced}),
 * what is present now ({@code current}), and whether that changed since the last flush. The pure
 * core of {@link PresenceReplica}'s per-topic view, apart from the actor so that it is tested
 * without an actor system. Flushed once per interval, it compares states, not events: the joins
 * and leaves of a burst go out as one diff, and a join and its leave inside one interval as none.
 * The maps it is given are kept as they are and never modified.
 */
final class TopicChanges {
  private Map<String, PresenceEntry> announced;
  private Map<String, PresenceEntry> current;
  private boolean dirty;

  /** Starts with {@code present} (keyed by {@code phx_ref}), which the room is told at once. */
  TopicChanges(Map<String, PresenceEntry> present) {
    this.current = present;
    this.announced = new LinkedHashMap<>(present);
  }

  /** What the room is told when it starts watching: everybody present, as joins. */
  PresenceDiff initial() {
    return PresenceDiff.between(Map.of(), current);
  }

  /** The topic's present entries now; marks the topic changed when they differ. */
  void refresh(Map<String, PresenceEntry> now) {
    if (!now.equals(current)) {
      current = now;
      dirty = true;
    }
  }

  /**
   * The end of an interval: what changed since the room was last told, now told; null when
   * nothing did (or the changes cancelled out).
   */
  PresenceDiff flush() {
    if (!dirty) return null;
    dirty = false;
    PresenceDiff diff = PresenceDiff.between(announced, current);
    announced = current;
    return diff.isEmpty() ? null : diff;
  }
}
