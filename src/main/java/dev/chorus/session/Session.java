package dev.chorus.session;

import dev.chorus.ops.Metrics;
import dev.chorus.protocol.Events;
import dev.chorus.protocol.Frame;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.protocol.ProtocolException;
import dev.chorus.protocol.Topic;
import dev.chorus.room.Channel;
import dev.chorus.room.JoinRequest;
import dev.chorus.room.LocalRooms;
import dev.chorus.room.Namespace;
import dev.chorus.room.Namespaces;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.util.ByteString;

/**
 * One per WebSocket connection: routes the client's frames (heartbeats, joins, leaves, pushes)
 * and keeps the map topic → {@link Channel} of its joins. It writes replies straight into the
 * connection's {@link OutboundQueue}; broadcasts never pass through it.
 */
public final class Session extends AbstractBehavior<Session.Command> {

  public sealed interface Command {}

  /** A decoded frame from the client. */
  public record ClientFrame(Frame frame) implements Command {}

  /** A frame that could not be decoded. */
  public record BadFrame(ProtocolException error) implements Command {}

  /** The WebSocket has ended, whoever ended it. */
  public record ConnectionClosed() implements Command {}

  /** The room admitted the join; its reply has already been queued. */
  public record JoinAccepted(String topic, String joinRef, ActorRef<Channel.Command> channel) implements Command {}

  /** The room refused the join; its error reply has already been queued. */
  public record JoinRefused(String topic, String joinRef) implements Command {}

  private record ChannelStopped(String topic, ActorRef<Channel.Command> channel) implements Command {}

  private enum TokenExpired implements Command { INSTANCE }

  /** A join of this connection; {@code channel} is null until the room has admitted it. */
  private static final class Join {
    final String joinRef;
    ActorRef<Channel.Command> channel;
    /**
     * Pushes that arrived before the room's JoinAccepted: the room queues the join's ok reply
     * before telling this session, so a client (phoenix.js does) may push at once.
     */
    final java.util.ArrayList<Frame> early = new java.util.ArrayList<>();

    Join(String joinRef) {
      this.joinRef = joinRef;
    }
  }

  public static Behavior<Command> create(
      ConnectionSettings settings,
      OutboundQueue queue,
      ActorRef<LocalRooms.Command> rooms,
      Namespaces namespaces,
      Metrics metrics,
      ConnectParams params) {
    return Behaviors.setup(ctx -> new Session(ctx, settings, queue, rooms, namespaces, metrics, params));
  }

  private final ConnectionSettings settings;
  private final OutboundQueue queue;
  private final ActorRef<LocalRooms.Command> rooms;
  private final Namespaces namespaces;
  private final Metrics metrics;
  private final ConnectParams params;
  private final Map<String, Join> joins = new HashMap<>();

  private Session(
      ActorContext<Command> ctx,
      ConnectionSettings settings,
      OutboundQueue queue,
      ActorRef<LocalRooms.Command> rooms,
      Namespaces namespaces,
      Metrics metrics,
      ConnectParams params) {
    super(ctx);
    this.settings = settings;
    this.queue = queue;
    this.rooms = rooms;
    this.namespaces = namespaces;
    this.metrics = metrics;
    this.params = params;
    scheduleExpiryCheck();
  }

  /**
   * A token is valid until it expires; then the connection ends and phoenix.js reconnects,
   * fetching a fresh token if its params are a function. Checked at most a day ahead, since the
   * scheduler takes no delay of many months.
   */
  private void scheduleExpiryCheck() {
    if (params.identity() == null) return;
    java.time.Duration left = java.time.Duration.between(java.time.Instant.now(), params.identity().expiresAt());
    java.time.Duration wait = left.isNegative() ? java.time.Duration.ZERO : left.compareTo(MAX_EXPIRY_WAIT) > 0 ? MAX_EXPIRY_WAIT : left;
    getContext().scheduleOnce(wait, getContext().getSelf(), TokenExpired.INSTANCE);
  }

  private static final java.time.Duration MAX_EXPIRY_WAIT = java.time.Duration.ofDays(1);

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(ClientFrame.class, m -> onFrame(m.frame()))
        .onMessageEquals(TokenExpired.INSTANCE, () -> {
          if (java.time.Instant.now().isBefore(params.identity().expiresAt())) {
            scheduleExpiryCheck(); // a long-lived token: not yet
          } else {
            queue.close(CloseReason.TOKEN_EXPIRED, false);
          }
          return this;
        })
        .onMessage(BadFrame.class, m -> onBadFrame(m.error()))
        .onMessage(JoinAccepted.class, this::onJoinAccepted)
        .onMessage(JoinRefused.class, this::onJoinRefused)
        .onMessage(ChannelStopped.class, this::onChannelStopped)
        .onMessage(ConnectionClosed.class, m -> onConnectionClosed())
        .build();
  }

  private Behavior<Command> onFrame(Frame f) {
    if (f.isHeartbeat()) {
      send(FrameCodec.replyOk(null, f.ref(), Frame.HEARTBEAT_TOPIC));
    } else if (Events.JOIN.equals(f.event())) {
      join(f);
    } else if (Events.LEAVE.equals(f.event())) {
      leave(f);
    } else {
      push(f);
    }
    return this;
  }

  private void join(Frame f) {
    Topic topic = Topic.parse(f.topic());
    if (topic == null) {
      refuse(f, "invalid topic");
      return;
    }
    Namespace namespace = namespaces.get(topic.namespace());
    if (namespace == null) {
      refuse(f, "unknown namespace");
      return;
    }
    if (params.identity() != null && !params.identity().mayJoin(f.topic())) {
      refuse(f, "unauthorized");
      return;
    }
    Join previous = joins.remove(f.topic());
    if (previous != null) {
      dropEarly(previous);
      // Like Phoenix: a second join of a joined topic replaces the first, which is closed. A
      // first join still under way is closed when the room admits it (its ok reply comes first).
      if (previous.channel != null) previous.channel.tell(new Channel.Leave(null));
    }
    if (joins.size() >= settings.maxJoins()) {
      refuse(f, "too many joins");
      return;
    }
    joins.put(f.topic(), new Join(f.joinRef()));
    rooms.tell(new LocalRooms.Join(new JoinRequest(
        topic, namespace, f.joinRef(), f.ref(), f.payload(), params, getContext().getSelf(), queue)));
  }

  private void refuse(Frame f, String reason) {
    metrics.joinsRefused.increment();
    replyError(f.joinRef(), f.ref(), f.topic(), reason);
  }

  private void leave(Frame f) {
    Join join = joins.get(f.topic());
    if (join == null || (f.joinRef() != null && !f.joinRef().equals(join.joinRef))) {
      replyError(f.joinRef(), f.ref(), f.topic(), "unmatched topic");
      return;
    }
    joins.remove(f.topic());
    dropEarly(join);
    metrics.leaves.increment();
    if (join.channel != null) {
      join.channel.tell(new Channel.Leave(f.ref())); // the room answers once the member is out
    } else {
      send(FrameCodec.replyOk(join.joinRef, f.ref(), f.topic()));
      // phx_close follows the join's ok reply, when the room admits it
    }
  }

  /** Pushes held per join while it is under way; more get "unmatched topic". */
  private static final int MAX_EARLY_PUSHES = 64;

  private void push(Frame f) {
    Join join = joins.get(f.topic());
    if (join == null || (f.joinRef() != null && !f.joinRef().equals(join.joinRef))) {
      replyError(f.joinRef(), f.ref(), f.topic(), "unmatched topic");
    } else if (Events.isReserved(f.event())) {
      replyError(f.joinRef(), f.ref(), f.topic(), "reserved event");
    } else if (join.channel != null) {
      join.channel.tell(new Channel.Push(f));
    } else if (join.early.size() < MAX_EARLY_PUSHES) {
      join.early.add(f); // the join is under way; forwarded once it is admitted
    } else {
      replyError(f.joinRef(), f.ref(), f.topic(), "unmatched topic");
    }
  }

  private void dropEarly(Join join) {
    for (Frame f : join.early) replyError(f.joinRef(), f.ref(), f.topic(), "unmatched topic");
    join.early.clear();
  }

  private Behavior<Command> onBadFrame(ProtocolException e) {
    metrics.badFrames.increment();
    if (e.ref() != null) {
      replyError(e.joinRef(), e.ref(), e.topic() == null ? Frame.HEARTBEAT_TOPIC : e.topic(), e.reason());
    } else {
      queue.close(CloseReason.badFrame(e.reason()), false); // nothing to reply to
    }
    return this;
  }

  private Behavior<Command> onJoinAccepted(JoinAccepted m) {
    Join join = joins.get(m.topic());
    if (join != null && join.channel == null && Objects.equals(join.joinRef, m.joinRef())) {
      join.channel = m.channel();
      getContext().watchWith(m.channel(), new ChannelStopped(m.topic(), m.channel()));
      for (Frame f : join.early) join.channel.tell(new Channel.Push(f));
      join.early.clear();
    } else {
      // Left or replaced while the join was under way: its ok reply has just been queued.
      m.channel().tell(new Channel.Close());
      send(FrameCodec.joinEvent(m.joinRef(), m.topic(), Events.CLOSE));
    }
    return this;
  }

  private Behavior<Command> onJoinRefused(JoinRefused m) {
    Join join = joins.get(m.topic());
    if (join != null && Objects.equals(join.joinRef, m.joinRef())) {
      joins.remove(m.topic());
      dropEarly(join);
    }
    return this;
  }

  private Behavior<Command> onChannelStopped(ChannelStopped m) {
    Join join = joins.get(m.topic());
    if (join != null && m.channel().equals(join.channel)) {
      // The channel failed (a left or replaced one is no longer in the map): this join only.
      joins.remove(m.topic());
      metrics.channelFailures.increment();
      send(FrameCodec.joinEvent(join.joinRef, m.topic(), Events.ERROR));
    }
    return this;
  }

  private Behavior<Command> onConnectionClosed() {
    for (Join join : joins.values()) {
      if (join.channel != null) join.channel.tell(new Channel.Close());
    }
    return Behaviors.stopped();
  }

  private void replyError(String joinRef, String ref, String topic, String reason) {
    if (ref != null) send(FrameCodec.replyError(joinRef, ref, topic, reason));
  }

  private void send(ByteString frame) {
    queue.offer(WebSocketFrames.text(frame));
  }
}
