package dev.chorus.presence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.transport.WebSocketFrames;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;

/**
 * The presence of one topic as its node-local room sees it: what the members have been told
 * (the replica's diffs applied), and the frames that tell them. Owned by the room actor, used
 * from it only. Lists while the topic has at most {@code listLimit} users, counts above.
 */
public final class RoomPresence {
  private final String topic;
  private final ActorRef<PresenceReplica.Command> replica;
  private final String node;
  private final int listLimit;
  private final int maxMetaBytes;
  private final Map<String, PresenceEntry> present = new LinkedHashMap<>();
  private boolean counting;
  private int countedUsers = -1;
  private int countedConnections = -1;
  /** Caches of the present state, dropped on every change: the rendered state and its keys. */
  private ByteString renderedState;
  private Set<String> keys;

  public RoomPresence(String topic, ActorRef<PresenceReplica.Command> replica, String node, int listLimit, int maxMetaBytes) {
    this.topic = topic;
    this.replica = replica;
    this.node = node;
    this.listLimit = listLimit;
    this.maxMetaBytes = maxMetaBytes;
  }

  /** Starts following the topic; the replica's answers come to {@code listener}. */
  public void watch(ActorRef<PresenceReplica.Changed> listener) {
    replica.tell(new PresenceReplica.Watch(topic, listener));
  }

  public void unwatch(ActorRef<PresenceReplica.Changed> listener) {
    replica.tell(new PresenceReplica.Unwatch(topic, listener));
  }

  /**
   * A join's custom meta (its payload's {@code "meta"}), checked before the join is admitted.
   *
   * @throws IllegalArgumentException with the reason to refuse the join
   */
  public ObjectNode customMeta(JsonNode joinPayload) {
    return PresenceMeta.custom(joinPayload, maxMetaBytes);
  }

  /**
   * An admitted join: its entry, now tracked cluster-wide. Its meta: the join's own, then the
   * token's ({@code tokenMeta}, may be null), which wins where both set a field.
   */
  public PresenceEntry track(String userId, ObjectNode custom, ObjectNode tokenMeta) {
    String ref = PresenceMeta.newRef();
    if (tokenMeta != null) {
      custom.setAll(tokenMeta);
      custom.remove("phx_ref");
      custom.remove("online_at");
    }
    PresenceEntry entry = new PresenceEntry(node, ref, userId, PresenceMeta.render(ref, System.currentTimeMillis(), custom));
    replica.tell(new PresenceReplica.Track(topic, entry));
    return entry;
  }

  public void untrack(PresenceEntry entry) {
    replica.tell(new PresenceReplica.Untrack(topic, entry));
  }

  /**
   * What a member gets right after its join reply: {@code presence_state} with everybody present
   * and itself (its own entry also arrives later in a diff; phoenix.js keeps one meta per
   * {@code phx_ref}), or {@code presence_count} in counting mode.
   */
  public ByteBuf frameForJoin(String joinRef, PresenceEntry self) {
    boolean newKey = !presentKeys().contains(self.key());
    int users = presentKeys().size() + (newKey ? 1 : 0);
    if (users > listLimit) {
      return frame(joinRef, PresenceFrames.COUNT, PresenceFrames.count(users, present.size() + 1));
    }
    if (!newKey) { // a second tab: its key's metas are merged, so render in full (rare)
      List<PresenceEntry> all = new ArrayList<>(present.values());
      all.add(self);
      return frame(joinRef, PresenceFrames.STATE, PresenceFrames.state(all));
    }
    // The usual case: the state rendered once per change, with the joiner's key appended.
    if (renderedState == null) renderedState = PresenceFrames.state(present.values());
    return frame(joinRef, PresenceFrames.STATE, PresenceFrames.withKey(renderedState, self));
  }

  private Set<String> presentKeys() {
    if (keys == null) {
      keys = new HashSet<>();
      for (PresenceEntry e : present.values()) keys.add(e.key());
    }
    return keys;
  }

  /**
   * Applies the replica's diff; returns the one frame every member gets (rendered once), or null
   * when there is nothing to tell them.
   */
  public ByteBuf onChanged(PresenceDiff diff) {
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
      return frame(null, PresenceFrames.COUNT, PresenceFrames.count(users, present.size()));
    }
    countedUsers = -1;
    countedConnections = -1;
    if (wasCounting) return frame(null, PresenceFrames.STATE, PresenceFrames.state(present.values()));
    return frame(null, PresenceFrames.DIFF, PresenceFrames.diff(diff));
  }

  private ByteBuf frame(String joinRef, String event, ByteString payload) {
    return WebSocketFrames.text(FrameCodec.encode(joinRef, null, topic, event, payload));
  }
}
