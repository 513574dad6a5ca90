package dev.chorus.room;

import dev.chorus.metrics.Metrics;
import dev.chorus.protocol.Frame;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.transport.CloseReason;
import dev.chorus.transport.OutboundQueue;
import dev.chorus.transport.RateLimit;
import dev.chorus.transport.WebSocketFrames;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.util.ByteString;

/**
 * One connection's join of one topic, like a Phoenix channel process. A child of the node's
 * {@link LocalRoom}, so supervised by it: if it fails, it stops, the room drops the member, and
 * the session sends {@code phx_error} for this join alone. It checks and rate-limits the
 * client's pushes and hands them to the {@link RoomEntity} to be sequenced and broadcast.
 */
public final class Channel extends AbstractBehavior<Channel.Command> {

  public sealed interface Command {}

  /** A client push into this topic. */
  public record Push(Frame frame) implements Command {}

  /**
   * The client left ({@code ref} set) or joined the topic again ({@code ref} null): the room
   * removes the member, then answers and sends {@code phx_close}.
   */
  public record Leave(String ref) implements Command {}

  /** The join has ended with its connection or before it was admitted: stop without a word. */
  public record Close() implements Command {}

  private record Published(RoomEntity.Published result) implements Command {}

  /**
   * The channel of {@code join}, a member of {@code topic} (the room's own string, shared by
   * its channels). The actor's cell keeps its creator for its whole life, so the creator holds
   * only what the channel keeps anyway, not the join request (its payload, refs and parsed
   * topic were ~200 bytes of every joined connection).
   */
  static Behavior<Command> create(
      String topic,
      JoinRequest join,
      EntityRef<RoomEntity.Command> entity,
      ActorRef<LocalRoom.Command> parent,
      RoomSettings settings,
      Metrics metrics) {
    String joinRef = join.joinRef();
    Namespace namespace = join.namespace();
    OutboundQueue queue = join.queue();
    ActorRef<?> session = join.session();
    // Kept only where pushes may become client_event webhooks: the string is the connection's own.
    String userId = namespace.webhooks().clientEvents().isEmpty() ? null : join.connect().userId();
    return Behaviors.setup(ctx -> new Channel(ctx, topic, joinRef, namespace, queue, session, entity, parent, settings, metrics, userId));
  }

  private final String topic;
  private final String joinRef;
  private final Namespace namespace;
  private final OutboundQueue queue;
  private final EntityRef<RoomEntity.Command> entity;
  private final ActorRef<LocalRoom.Command> parent;
  private final String crashEvent;
  private final Metrics metrics;
  private final String userId; // null unless the namespace has client-events webhooks
  // Made at the first push: most members never push, and the adapter (an actor ref with its
  // path and name) and the bucket were ~400 bytes of every joined connection.
  private RateLimit publishRate;
  private ActorRef<RoomEntity.Published> publishedAdapter;

  private Channel(
      ActorContext<Command> ctx,
      String topic,
      String joinRef,
      Namespace namespace,
      OutboundQueue queue,
      ActorRef<?> session,
      EntityRef<RoomEntity.Command> entity,
      ActorRef<LocalRoom.Command> parent,
      RoomSettings settings,
      Metrics metrics,
      String userId) {
    super(ctx);
    this.userId = userId;
    this.topic = topic;
    this.joinRef = joinRef;
    this.namespace = namespace;
    this.queue = queue;
    this.entity = entity;
    this.parent = parent;
    this.crashEvent = settings.crashEvent();
    this.metrics = metrics;
    // If the connection ends before its session learned of this join (JoinAccepted still in
    // flight), nobody would tell this channel to close: it ends with its session instead.
    ctx.watch(session);
  }

  /**
   * Written out rather than made with {@code newReceiveBuilder()}: a built receive is a case
   * object and a lambda or two per message type, made for every actor, ~200 bytes of every
   * joined connection (heap histogram, docs/capacity.md); this is one object.
   */
  @Override
  public Receive<Command> createReceive() {
    return new Receive<>() {
      @Override
      public Behavior<Command> receiveMessage(Command m) {
        if (m instanceof Push p) return onPush(p.frame());
        if (m instanceof Published p) return onPublished(p.result());
        if (m instanceof Leave l) return onLeave(l.ref());
        if (m instanceof Close) return Behaviors.stopped();
        return Behaviors.unhandled();
      }

      @Override
      public Behavior<Command> receiveSignal(Signal s) {
        return s instanceof Terminated ? Behaviors.stopped() : Behaviors.unhandled();
      }
    };
  }

  private Behavior<Command> onPush(Frame f) {
    if (!crashEvent.isEmpty() && crashEvent.equals(f.event())) {
      throw new IllegalStateException("channel failure requested by the test hook (chorus.testing.crash-event)");
    }
    RateLimit.Verdict verdict;
    if (!namespace.clientPublish()) {
      replyError(f, "publish not allowed");
    } else if (FrameCodec.utf8Length(f.event()) > namespace.maxEventBytes()) {
      replyError(f, "event too long");
    } else if (FrameCodec.renderedSize(f) > namespace.maxMessageBytes()) {
      replyError(f, "message too large"); // the whole frame (JSON or binary): refs, topic, event and payload
    } else if ((verdict = publishRate().take()) != RateLimit.Verdict.PASS) {
      metrics.rateLimited.increment();
      replyError(f, "rate limited");
      // a sustained flood only (flood-duration without a pause): a burst is never closed
      if (verdict == RateLimit.Verdict.FLOOD) queue.close(CloseReason.RATE_LIMITED, false);
    } else {
      if (publishedAdapter == null) publishedAdapter = getContext().messageAdapter(RoomEntity.Published.class, Published::new);
      // The user goes along when the push may become a client_event webhook (the entity sends it).
      String user = userId != null && !f.binary() && namespace.webhooks().clientEvent(f.event()) ? userId : null;
      entity.tell(new RoomEntity.Publish(f.event(), f.payload(), f.ref(), publishedAdapter, f.binary(), user));
    }
    return this;
  }

  private RateLimit publishRate() {
    if (publishRate == null) {
      publishRate = new RateLimit(namespace.publishRate(), namespace.publishBurst(), namespace.floodDuration(), namespace.floodPause());
    }
    return publishRate;
  }

  private Behavior<Command> onLeave(String ref) {
    parent.tell(new LocalRoom.Leave(getContext().getSelf(), joinRef, ref));
    return this; // the room stops this channel once the member is removed
  }

  private Behavior<Command> onPublished(RoomEntity.Published result) {
    if (result.ref() != null) send(FrameCodec.replyOk(joinRef, result.ref(), topic));
    return this;
  }

  private void replyError(Frame f, String reason) {
    metrics.pushRefused(reason);
    if (f.ref() != null) send(FrameCodec.replyError(joinRef, f.ref(), topic, reason));
  }

  private void send(ByteString frame) {
    queue.offer(WebSocketFrames.text(frame));
  }
}
