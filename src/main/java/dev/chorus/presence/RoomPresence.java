package dev.chorus.presence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.room.TopicPresence;
import dev.chorus.transport.WebSocketFrames;
import io.netty.buffer.ByteBuf;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The presence of one topic as its node-local room sees it: tracks and untracks the room's joins
 * with the replica, and renders as frames what its {@link PresenceView} (what the members have
 * been told; lists while the topic has at most {@code listLimit} users, counts above) decides
 * to tell them. Owned by the room actor, used from it only.
 */
public final class RoomPresence implements TopicPresence {

  /** The node's presence for its local rooms: its replica, its name there, the meta bound. */
  public record Factory(ActorRef<PresenceReplica.Command> replica, String node, int maxMetaBytes)
      implements TopicPresence.Factory {
    @Override
    public TopicPresence forTopic(String topic, int listLimit, ActorRef<TopicPresence.Changed> changes) {
      return new RoomPresence(topic, replica, node, listLimit, maxMetaBytes, changes.narrow());
    }
  }

  private final String topic;
  private final ActorRef<PresenceReplica.Command> replica;
  private final String node;
  private final int maxMetaBytes;
  private final PresenceView view;
  private final ActorRef<PresenceReplica.Changed> listener;

  RoomPresence(String topic, ActorRef<PresenceReplica.Command> replica, String node, int listLimit, int maxMetaBytes,
      ActorRef<PresenceReplica.Changed> listener) {
    this.topic = topic;
    this.replica = replica;
    this.node = node;
    this.maxMetaBytes = maxMetaBytes;
    this.view = new PresenceView(listLimit);
    this.listener = listener;
    replica.tell(new PresenceReplica.Watch(topic, listener)); // the replica's answers come to the room
  }

  @Override
  public void close() {
    replica.tell(new PresenceReplica.Unwatch(topic, listener));
  }

  /**
   * A join's custom meta (its payload's {@code "meta"}), checked before the join is admitted.
   *
   * @throws IllegalArgumentException with the reason to refuse the join
   */
  @Override
  public ObjectNode customMeta(JsonNode joinPayload) {
    return PresenceMeta.custom(joinPayload, maxMetaBytes);
  }

  /**
   * An admitted join: its entry, now tracked cluster-wide. Its meta: the join's own, then the
   * token's ({@code tokenMeta}, may be null), which wins where both set a field.
   */
  @Override
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

  @Override
  public void untrack(TopicPresence.Entry entry) {
    replica.tell(new PresenceReplica.Untrack(topic, (PresenceEntry) entry));
  }

  /**
   * What a member gets right after its join reply ({@link PresenceView#forJoin}): the present
   * state with itself, or the count.
   */
  @Override
  public ByteBuf frameForJoin(String joinRef, TopicPresence.Entry self) {
    return frame(joinRef, view.forJoin((PresenceEntry) self));
  }

  /**
   * Applies the replica's diff; returns the one frame every member gets (rendered once), or null
   * when there is nothing to tell them.
   */
  @Override
  public ByteBuf onChanged(TopicPresence.Changed change) {
    PresenceView.Tell tell = view.onChanged(((PresenceReplica.Changed) change).diff());
    return tell == null ? null : frame(null, tell);
  }

  private ByteBuf frame(String joinRef, PresenceView.Tell tell) {
    return WebSocketFrames.text(FrameCodec.encode(joinRef, null, topic, tell.event(), tell.payload()));
  }
}
