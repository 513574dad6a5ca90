package dev.chorus.presence;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What changed in a topic's presence between two moments, entry by entry ({@code phx_ref}). It
 * compares states, not events, so a join and its leave inside one batching interval cancel out
 * and produce no diff at all.
 */
public record PresenceDiff(List<PresenceEntry> joins, List<PresenceEntry> leaves) {

  /** The change from {@code before} to {@code after}, both keyed by {@code phx_ref}. */
  public static PresenceDiff between(Map<String, PresenceEntry> before, Map<String, PresenceEntry> after) {
    List<PresenceEntry> joins = new ArrayList<>();
    List<PresenceEntry> leaves = new ArrayList<>();
    for (var e : after.entrySet()) {
      if (!e.getValue().equals(before.get(e.getKey()))) joins.add(e.getValue());
    }
    for (var e : before.entrySet()) {
      PresenceEntry now = after.get(e.getKey());
      if (now == null || !now.equals(e.getValue())) leaves.add(e.getValue());
    }
    return new PresenceDiff(List.copyOf(joins), List.copyOf(leaves));
  }

  public boolean isEmpty() {
    return joins.isEmpty() && leaves.isEmpty();
  }

  /** Applies this diff to a state keyed by {@code phx_ref}. */
  public void applyTo(Map<String, PresenceEntry> state) {
    for (PresenceEntry e : leaves) state.remove(e.ref(), e);
    for (PresenceEntry e : joins) state.put(e.ref(), e);
  }
}
