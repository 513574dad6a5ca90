package dev.chorus.presence;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.util.ByteString;

/**
 * What a topic's members on one node have been told of its presence, and what to tell them next:
 * the pure state machine of {@link RoomPresence}, apart from the replica and from frames so that
 * its transitions are tested without an actor system. It lists the present entries while the
 * topic has at most {@code listLimit} users (distinct keys) and counts them above: entering
 * counting mode or a changed count sends a {@code presence_count}, an unchanged count nothing,
 * and falling back under the limit a full {@code presence_state} (members hold only a count, so a
 * diff would not do). Used from its room actor only.
 */
final class PresenceView {

  /** One message for members: a presence event and its payload, rendered; framing is the caller's. */
  record Tell(String event, ByteString payload) {}

  private final int listLimit;
  private final Map<String, PresenceEntry> present = new LinkedHashMap<>();
  private boolean counting;
  private int countedUsers = -1;
  private int countedConnections = -1;
  /** Caches of the present state, dropped on every change: the rendered state and its keys. */
  private ByteString renderedState;
  private Set<String> keys;

  PresenceView(int listLimit) {
    this.listLimit = listLimit;
  }

  /**
   * Applies the replica's diff; returns what every member is told (rendered once for all), or
   * null when there is nothing to tell them.
   */
  Tell onChanged(PresenceDiff diff) {
    diff.applyTo(present);
    renderedState = null;
    keys = null;
    int users = presentKeys().size();
    boolean wasCounting = counting;
    counting = users > listLimit;
    if (counting) {
      if (wasCounting && users == countedUsers && present.size() == countedConnections) return null;
      countedUsers = users;
      countedConnections = present.size();
      return new Tell(PresenceFrames.COUNT, PresenceFrames.count(users, present.size()));
    }
    countedUsers = -1;
    countedConnections = -1;
    if (wasCounting) return new Tell(PresenceFrames.STATE, PresenceFrames.state(present.values()));
    return new Tell(PresenceFrames.DIFF, PresenceFrames.diff(diff));
  }

  /**
   * What a member gets right after its join reply: {@code presence_state} with everybody present
   * and itself (its own entry also arrives later in a diff; phoenix.js keeps one meta per
   * {@code phx_ref}), or {@code presence_count} when the topic, joiner included, is above the
   * limit.
   */
  Tell forJoin(PresenceEntry self) {
    boolean newKey = !presentKeys().contains(self.key());
    int users = presentKeys().size() + (newKey ? 1 : 0);
    if (users > listLimit) {
      return new Tell(PresenceFrames.COUNT, PresenceFrames.count(users, present.size() + 1));
    }
    if (!newKey) { // a second tab: its key's metas are merged, so render in full (rare)
      List<PresenceEntry> all = new ArrayList<>(present.values());
      all.add(self);
      return new Tell(PresenceFrames.STATE, PresenceFrames.state(all));
    }
    // The usual case: the state rendered once per change, with the joiner's key appended.
    if (renderedState == null) renderedState = PresenceFrames.state(present.values());
    return new Tell(PresenceFrames.STATE, PresenceFrames.withKey(renderedState, self));
  }

  /** Whether members hold a count rather than the list. */
  boolean counting() {
    return counting;
  }

  private Set<String> presentKeys() {
    if (keys == null) {
      keys = new HashSet<>();
      for (PresenceEntry e : present.values()) keys.add(e.key());
    }
    return keys;
  }
}
