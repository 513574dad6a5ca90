package dev.chorus.room;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.metrics.Metrics;
import dev.chorus.protocol.Events;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.transport.OutboundQueue;
import dev.chorus.transport.WebSocketFrames;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.util.ByteString;

/**
 * A topic's members on this node, and the parent (so the supervisor) of their {@link Channel}
 * actors. It delivers a published frame by offering the same rendered bytes to each member's
 * outbound queue: no actor message and no encoding per subscriber.
 */
public final class LocalRoom extends AbstractBehavior<LocalRoom.Command> {

  public sealed interface Command {}

  public record Join(JoinRequest request) implements Command {}

  /**
   * The join is admitted at position {@code at}; {@code recovered} answers a join that asked to
   * recover (null when it did not), and {@code replay} holds the frames it missed, in order.
   */
  public record Admitted(long joinId, Position at, Boolean recovered, List<ByteString> replay) implements Command, CrossNode {}

  public record Refused(long joinId, String reason) implements Command, CrossNode {}

  /**
   * A sequenced, rendered broadcast frame from the room entity; {@code publishedMicros} is the
   * wall-clock time it was sequenced (wall clock, so the latency also reads across nodes).
   */
  public record Deliver(long seq, ByteString frame, long publishedMicros) implements Command, CrossNode {}

  /**
   * A member's join ends by the client's leave ({@code ref} set: answered ok) or by a second join
   * of the topic ({@code ref} null). The room writes the reply and {@code phx_close} after it has
   * removed the member, so no broadcast it delivers later reaches the client.
   */
  record Leave(ActorRef<Channel.Command> channel, String joinRef, String ref) implements Command {}

  /** A starting room entity asks where the members are (through the node's LocalRooms). */
  record Locate(ActorRef<RoomEntity.Command> entity, ActorRef<LocalRooms.Command> node) implements Command {}

  private record ChannelStopped(ActorRef<Channel.Command> channel) implements Command {}

  private enum RefreshRegistration implements Command { INSTANCE }

  private record PresenceChanged(TopicPresence.Changed changed) implements Command {}

  /** A join waiting for the entity's answer, with its presence meta (null: presence off). */
  private record PendingJoin(JoinRequest request, ObjectNode presenceMeta) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A member; {@code presence} is its entry, null when the namespace has presence off. */
  private record Member(ActorRef<Channel.Command> channel, OutboundQueue queue, TopicPresence.Entry presence) {}

  /**
   * A topic's room on this node; {@code presence} makes the topic's presence given where its
   * changes go, and is null when the namespace has presence off.
   */
  static Behavior<Command> create(
      String topic,
      EntityRef<RoomEntity.Command> entity,
      ActorRef<LocalRooms.Command> parent,
      RoomSettings settings,
      Metrics metrics,
      Function<ActorRef<TopicPresence.Changed>, TopicPresence> presence) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new LocalRoom(ctx, timers, topic, entity, parent, settings, metrics, presence)));
  }

  private final String topic;
  private final EntityRef<RoomEntity.Command> entity;
  private final ActorRef<LocalRooms.Command> parent;
  private final RoomSettings settings;
  private final Metrics metrics;
  private final TopicPresence presence;
  private final ArrayList<Member> members = new ArrayList<>();
  private final Map<Long, PendingJoin> pending = new HashMap<>();
  private long joinCounter;

  private LocalRoom(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      String topic,
      EntityRef<RoomEntity.Command> entity,
      ActorRef<LocalRooms.Command> parent,
      RoomSettings settings,
      Metrics metrics,
      Function<ActorRef<TopicPresence.Changed>, TopicPresence> presence) {
    super(ctx);
    this.topic = topic;
    this.entity = entity;
    this.parent = parent;
    this.settings = settings;
    this.metrics = metrics;
    this.presence = presence == null ? null : presence.apply(ctx.messageAdapter(TopicPresence.Changed.class, PresenceChanged::new));
    timers.startTimerWithFixedDelay(RefreshRegistration.INSTANCE, settings.registrationRefresh());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Deliver.class, this::onDeliver)
        .onMessage(Join.class, this::onJoin)
        .onMessage(Admitted.class, this::onAdmitted)
        .onMessage(Refused.class, this::onRefused)
        .onMessage(Leave.class, this::onLeave)
        .onMessage(ChannelStopped.class, this::onChannelStopped)
        .onMessageEquals(RefreshRegistration.INSTANCE, this::onRefresh)
        .onMessage(PresenceChanged.class, this::onPresenceChanged)
        .onMessage(Locate.class, m -> {
          m.entity().tell(new RoomEntity.Located(m.node(), getContext().getSelf(), members.size()));
          return this;
        })
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onDeliver(Deliver m) {
    int dropped = offerToAll(WebSocketFrames.toBuf(m.frame()));
    metrics.deliveries.add(members.size() - dropped);
    if (dropped > 0) metrics.deliveriesDropped.add(dropped);
    metrics.fanoutLatency.observe(Math.max(0, Clocks.epochMicros() - m.publishedMicros()) / 1e6);
    return this;
  }

  private Behavior<Command> onJoin(Join m) {
    Position since;
    ObjectNode presenceMeta;
    try {
      // The payload is read once, here: what to recover and the presence meta.
      JsonNode payload = JSON.readTree(m.request().params().toArray());
      since = Position.since(payload);
      presenceMeta = presence == null ? null : presence.customMeta(payload);
    } catch (IllegalArgumentException | java.io.IOException e) {
      refuse(m.request(), e instanceof IllegalArgumentException ? e.getMessage() : "invalid join payload");
      return this;
    }
    long joinId = ++joinCounter;
    pending.put(joinId, new PendingJoin(m.request(), presenceMeta));
    entity.tell(new RoomEntity.Admit(getContext().getSelf(), joinId, since));
    return this;
  }

  private Behavior<Command> onAdmitted(Admitted m) {
    PendingJoin p = pending.remove(m.joinId());
    if (p == null) return this;
    JoinRequest r = p.request();
    ActorRef<Channel.Command> channel = getContext().spawnAnonymous(Channel.create(r, entity, getContext().getSelf(), settings, metrics));
    getContext().watchWith(channel, new ChannelStopped(channel));
    TopicPresence.Entry entry = presence == null ? null : presence.track(r.connect().userId(), p.presenceMeta(),
        r.connect().identity() == null ? null : r.connect().identity().presenceMeta());
    members.add(new Member(channel, r.queue(), entry));
    metrics.joins.increment();
    // Queued here, before any later Deliver, so the client sees its join reply first, and its
    // presence state right after it.
    r.queue().offer(WebSocketFrames.text(FrameCodec.replyOk(r.joinRef(), r.ref(), topic, joinResponse(m))));
    for (ByteString frame : m.replay()) r.queue().offer(WebSocketFrames.toBuf(frame));
    if (entry != null) r.queue().offer(presence.frameForJoin(r.joinRef(), entry));
    r.replyTo().tell(new JoinRequest.Accepted(topic, r.joinRef(), channel));
    return this;
  }

  /** {"epoch": "...", "seq": n} and, for a join that asked to recover, "recovered": bool. */
  private static ByteString joinResponse(Admitted m) {
    String json = "{\"epoch\":\"" + m.at().epoch() + "\",\"seq\":" + m.at().seq()
        + (m.recovered() == null ? "" : ",\"recovered\":" + m.recovered()) + "}";
    return ByteString.fromString(json);
  }

  private Behavior<Command> onRefused(Refused m) {
    PendingJoin p = pending.remove(m.joinId());
    if (p != null) refuse(p.request(), m.reason());
    return this;
  }

  private void refuse(JoinRequest r, String reason) {
    metrics.joinsRefused.increment();
    r.queue().offer(WebSocketFrames.text(FrameCodec.replyError(r.joinRef(), r.ref(), topic, reason)));
    r.replyTo().tell(new JoinRequest.Refused(topic, r.joinRef()));
    parent.tell(new LocalRooms.MemberGone(topic));
  }

  private Behavior<Command> onPresenceChanged(PresenceChanged m) {
    ByteBuf frame = presence.onChanged(m.changed());
    if (frame != null) offerToAll(frame);
    return this;
  }

  /**
   * Offers one rendered frame to every member: each queue gets a retained duplicate of the same
   * buffer (a reference, never a copy), and the room's own reference is released after. Returns
   * how many members' queues refused it (closing connections).
   */
  private int offerToAll(ByteBuf frame) {
    int dropped = 0;
    try {
      for (int i = 0, n = members.size(); i < n; i++) {
        if (!members.get(i).queue().offer(frame.retainedDuplicate())) dropped++;
      }
    } finally {
      frame.release();
    }
    return dropped;
  }

  private Behavior<Command> onLeave(Leave m) {
    Member member = remove(m.channel());
    if (member == null) return this;
    if (m.ref() != null) member.queue().offer(WebSocketFrames.text(FrameCodec.replyOk(m.joinRef(), m.ref(), topic)));
    member.queue().offer(WebSocketFrames.text(FrameCodec.joinEvent(m.joinRef(), topic, Events.CLOSE)));
    getContext().stop(m.channel());
    return this;
  }

  private Behavior<Command> onChannelStopped(ChannelStopped m) {
    remove(m.channel()); // already removed if it left
    return this;
  }

  /** Removes a member and tells the entity and the parent; null when it was not a member. */
  private Member remove(ActorRef<Channel.Command> channel) {
    for (int i = 0; i < members.size(); i++) {
      Member member = members.get(i);
      if (member.channel().equals(channel)) {
        members.remove(i);
        if (member.presence() != null) presence.untrack(member.presence());
        entity.tell(new RoomEntity.MemberLeft(getContext().getSelf()));
        parent.tell(new LocalRooms.MemberGone(topic));
        return member;
      }
    }
    return null;
  }

  private Behavior<Command> onRefresh() {
    entity.tell(new RoomEntity.Register(getContext().getSelf(), members.size()));
    return this;
  }

  private Behavior<Command> onPostStop() {
    entity.tell(new RoomEntity.Register(getContext().getSelf(), 0));
    if (presence != null) {
      for (Member member : members) presence.untrack(member.presence());
      presence.close();
    }
    return this;
  }
}
