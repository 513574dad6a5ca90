package dev.chorus.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.hooks.Hook;
import dev.chorus.hooks.HookAnswer;
import dev.chorus.hooks.HookRequest;
import dev.chorus.hooks.HookResult;
import dev.chorus.hooks.Hooks;
import dev.chorus.metrics.Metrics;
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
import dev.chorus.transport.CloseReason;
import dev.chorus.transport.ConnectParams;
import dev.chorus.transport.JoinsInProgress;
import dev.chorus.transport.OutboundQueue;
import dev.chorus.transport.Sessions;
import dev.chorus.transport.WebSocketFrames;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.util.ByteString;

/**
 * One per WebSocket connection: routes the client's frames (heartbeats, joins, leaves, pushes)
 * and keeps its {@link JoinTable}, topic → {@link Channel}. It writes replies straight into the
 * connection's {@link OutboundQueue}; broadcasts never pass through it.
 *
 * <p>In a namespace with a join hook, a join goes to the backend before the rooms
 * (docs/hooks.md); meanwhile it is a join under way like any other (early pushes wait, it
 * counts in the node's joins in progress).
 */
public final class Session extends AbstractBehavior<Session.Command> {

  public sealed interface Command {}

  /** A decoded frame from the client. */
  public record ClientFrame(Frame frame) implements Command {}

  /** A frame that could not be decoded. */
  public record BadFrame(ProtocolException error) implements Command {}

  /** The WebSocket has ended, whoever ended it. */
  public record ConnectionClosed() implements Command {}

  /**
   * The backend subscribes this connection to {@code topic} (POST /api/subscribe): a join of the
   * session's own, under a join_ref of its own ({@code srv:<n>}), so that phoenix.js drops its
   * reply and its phx_close (they name no channel of the client) but dispatches the topic's
   * broadcasts (join_ref null) to any channel object of the topic. Nothing happens when the
   * connection already has a join of the topic, its own or the backend's.
   */
  public record ServerJoin(String topic) implements Command {}

  /** The backend ends its subscription of this connection to {@code topic}; a client's own join stays. */
  public record ServerLeave(String topic) implements Command {}

  /**
   * The admin API's user lookup (ops/UserLookup) asks what this connection is: answered at
   * once from what the session holds anyway.
   */
  public record Describe(ActorRef<Description> replyTo) implements Command {}

  /**
   * A connection as the user lookup shows it: its id (as hooks send it), its transport, the
   * topics it has joined or is joining (the backend's subscriptions too), and for how long it
   * has been open.
   */
  public record Description(String connId, String transport, List<String> topics, double connectedSeconds) {}

  /** What the room made of a join (its reply is already queued). */
  private record JoinOutcome(JoinRequest.Outcome outcome) implements Command {}

  private record ChannelStopped(String topic, ActorRef<Channel.Command> channel) implements Command {}

  /** The join hook's answer about {@code request}. */
  private record JoinHooked(JoinRequest request, HookResult result) implements Command {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Keys of the join reply that are Chorus's own: a join hook's reply cannot set them. */
  private static final List<String> OWN_REPLY_KEYS = List.of("epoch", "seq", "recovered", "reason");

  private enum TokenExpired implements Command { INSTANCE }

  /** What a session needs besides its connection; {@code joinsInProgress} is the node's count. */
  public record Settings(
      int maxJoins, int maxEarlyPushes, long maxEarlyPushBytes, ActorRef<LocalRooms.Command> rooms, Namespaces namespaces,
      Metrics metrics, JoinsInProgress joinsInProgress, JoinAccess joinAccess, UserSessions userSessions) {
    /** Without user-limited topics' and join tokens' checks ({@link JoinAccess#NONE}) nor server-side subscriptions. */
    public Settings(
        int maxJoins, int maxEarlyPushes, long maxEarlyPushBytes, ActorRef<LocalRooms.Command> rooms, Namespaces namespaces,
        Metrics metrics, JoinsInProgress joinsInProgress) {
      this(maxJoins, maxEarlyPushes, maxEarlyPushBytes, rooms, namespaces, metrics, joinsInProgress, JoinAccess.NONE, null);
    }
  }

  public static Behavior<Command> create(Settings settings, OutboundQueue queue, ConnectParams params, String transport) {
    return Behaviors.setup(ctx -> new Session(ctx, settings, queue, params, transport));
  }

  /** A WebSocket's session. */
  public static Behavior<Command> create(Settings settings, OutboundQueue queue, ConnectParams params) {
    return create(settings, queue, params, Sessions.WEBSOCKET);
  }

  private final OutboundQueue queue;
  private final ActorRef<LocalRooms.Command> rooms;
  private final Namespaces namespaces;
  private final Metrics metrics;
  private final ConnectParams params;
  private final JoinAccess access;
  /** Where the backend finds this session by its user; null: nowhere (tests of sessions). */
  private final UserSessions userSessions;
  private long serverJoins;
  private final JoinTable<ActorRef<Channel.Command>> joins;
  private final ActorRef<JoinRequest.Outcome> outcomes;
  /** This connection's joins sent to the rooms and not answered yet, in the node's count. */
  private final JoinsInProgress.OfConnection inProgress;
  private boolean connectionEnded;
  /** For the user lookup alone: a shared constant, and 8 bytes of the connection's heap. */
  private final String transport;
  private final long connectedAtMillis = System.currentTimeMillis();

  private Session(ActorContext<Command> ctx, Settings settings, OutboundQueue queue, ConnectParams params, String transport) {
    super(ctx);
    this.transport = transport;
    this.queue = queue;
    this.rooms = settings.rooms();
    this.namespaces = settings.namespaces();
    this.metrics = settings.metrics();
    this.params = params;
    this.access = settings.joinAccess();
    this.userSessions = settings.userSessions();
    if (userSessions != null) userSessions.add(params.userId(), ctx.getSelf());
    this.joins = new JoinTable<>(settings.maxJoins(), settings.maxEarlyPushes(), settings.maxEarlyPushBytes());
    this.outcomes = ctx.messageAdapter(JoinRequest.Outcome.class, JoinOutcome::new);
    this.inProgress = settings.joinsInProgress().forConnection();
    scheduleExpiryCheck();
  }

  /**
   * A token is valid until it expires; then the connection ends and phoenix.js reconnects,
   * fetching a fresh token if its params are a function. Checked at most a day ahead, since the
   * scheduler takes no delay of many months.
   */
  private void scheduleExpiryCheck() {
    if (params.identity() == null) return;
    Duration left = Duration.between(Instant.now(), params.identity().expiresAt());
    Duration wait = left.isNegative() ? Duration.ZERO : left.compareTo(MAX_EXPIRY_WAIT) > 0 ? MAX_EXPIRY_WAIT : left;
    getContext().scheduleOnce(wait, getContext().getSelf(), TokenExpired.INSTANCE);
  }

  private static final Duration MAX_EXPIRY_WAIT = Duration.ofDays(1);

  /**
   * Written out rather than made with {@code newReceiveBuilder()}: a built receive is a case
   * object and a lambda or two per message type, made for every actor, ~200 bytes of every
   * connection (heap histogram, docs/capacity.md); this is one object.
   */
  @Override
  public Receive<Command> createReceive() {
    return new Receive<>() {
      @Override
      public Behavior<Command> receiveMessage(Command m) {
        if (m instanceof ClientFrame f) return onFrame(f.frame());
        if (m instanceof JoinOutcome o) return onJoinOutcome(o);
        if (m instanceof ChannelStopped s) return onChannelStopped(s);
        if (m instanceof ServerJoin j) return onServerJoin(j.topic());
        if (m instanceof Describe d) return onDescribe(d);
        if (m instanceof ServerLeave l) return onServerLeave(l.topic());
        if (m instanceof JoinHooked h) return onJoinHooked(h.request(), h.result());
        if (m instanceof BadFrame b) return onBadFrame(b.error());
        if (m instanceof ConnectionClosed) return onConnectionClosed();
        if (m == TokenExpired.INSTANCE) return onTokenExpired();
        return Behaviors.unhandled();
      }

      @Override
      public Behavior<Command> receiveSignal(Signal s) {
        return s instanceof PostStop ? onPostStop() : Behaviors.unhandled();
      }
    };
  }

  private Behavior<Command> onTokenExpired() {
    if (Instant.now().isBefore(params.identity().expiresAt())) {
      scheduleExpiryCheck(); // a long-lived token: not yet
    } else {
      queue.close(CloseReason.TOKEN_EXPIRED, false);
    }
    return this;
  }

  /**
   * A binary message is a push and nothing else: its payload is no JSON, so phx_join, phx_leave
   * and heartbeat in one are treated as pushes of those events (refused as reserved or unmatched).
   */
  private Behavior<Command> onFrame(Frame f) {
    if (f.binary()) {
      push(f);
    } else if (f.isHeartbeat()) {
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
    // Where a join token is required, it decides instead of the connection token's patterns.
    if (params.identity() != null && !namespace.joinTokenRequired() && !params.identity().mayJoin(f.topic())) {
      refuse(f, "unauthorized");
      return;
    }
    String refusal = access.refusal(f.topic(), namespace, params, f.payload());
    if (refusal != null) {
      refuse(f, refusal);
      return;
    }
    JoinTable.Join<ActorRef<Channel.Command>> previous = joins.replace(f.topic());
    if (previous != null) {
      refuseAll(joins.takeEarly(previous));
      // Like Phoenix: a second join of a joined topic replaces the first, which is closed. A
      // first join still under way is closed when the room admits it (its ok reply comes first).
      if (previous.channel() != null) previous.channel().tell(new Channel.Leave(null));
    }
    if (!joins.start(f.topic(), f.joinRef())) {
      refuse(f, "too many joins");
      return;
    }
    JoinRequest request = new JoinRequest(
        topic, namespace, f.joinRef(), f.ref(), f.payload(), params, getContext().getSelf(), outcomes, queue);
    inProgress.started(); // until its one outcome arrives, or the connection ends
    if (namespace.hooks().join().enabled()) {
      callJoinHook(request);
    } else {
      rooms.tell(new LocalRooms.Join(request));
    }
  }

  /** A payload that is no JSON goes on to the room, which refuses it as it refuses any. */
  private void callJoinHook(JoinRequest request) {
    ObjectNode fields = HookRequest.fields();
    fields.put("topic", request.topic().toString());
    try {
      fields.set("payload", JSON.readTree(request.params().toArray()));
    } catch (java.io.IOException e) {
      rooms.tell(new LocalRooms.Join(request));
      return;
    }
    Hook hook = Hooks.get(getContext().getSystem()).hook("join", request.namespace().name(), request.namespace().hooks().join());
    getContext().pipeToSelf(hook.call(params.userId(), params.connId(), fields, HookAnswer::verdict),
        (result, error) -> new JoinHooked(request, HookResult.of(result, error)));
  }

  /**
   * Allowed: the join goes to the rooms, with the backend's meta over the client's in its
   * payload (presence takes it from there, within chorus.presence.max-meta-bytes) and its reply.
   * Refused, or failed with on-failure = refuse: the join's error reply, as a room's refusal.
   */
  private Behavior<Command> onJoinHooked(JoinRequest request, HookResult result) {
    if (result instanceof HookResult.Answered a && a.answer().allowed()) {
      rooms.tell(new LocalRooms.Join(allowedJoin(request, a.answer())));
      return this;
    }
    inProgress.ended();
    String reason;
    if (result instanceof HookResult.Answered a) {
      reason = a.answer().reason();
      metrics.joinRefused("refused by backend"); // a backend's reasons are free text, no label
    } else {
      reason = ((HookResult.Failed) result).kind().reason();
      metrics.joinRefused(reason);
    }
    replyError(request.joinRef(), request.ref(), request.topic().toString(), reason);
    refuseAll(joins.refused(request.topic().toString(), request.joinRef()));
    return this;
  }

  private static JoinRequest allowedJoin(JoinRequest request, HookAnswer answer) {
    if (answer.meta() == null && answer.reply() == null) return request;
    ByteString params = request.params();
    if (answer.meta() != null) {
      try {
        ObjectNode payload = (ObjectNode) JSON.readTree(params.toArray()); // an object: the hook was called with it
        JsonNode clientMeta = payload.get("meta");
        ObjectNode meta = clientMeta != null && clientMeta.isObject() ? (ObjectNode) clientMeta : payload.putObject("meta");
        meta.setAll(answer.meta());
        params = ByteString.fromArray(JSON.writeValueAsBytes(payload));
      } catch (java.io.IOException | ClassCastException e) {
        // not an object: the room refuses it as "invalid join payload" as it would anyway
      }
    }
    String reply = null;
    if (answer.reply() != null) {
      ObjectNode r = answer.reply().deepCopy();
      r.remove(OWN_REPLY_KEYS);
      reply = r.toString();
    }
    return request.withHookAnswer(params, reply);
  }

  private Behavior<Command> onServerJoin(String topicName) {
    Topic topic = Topic.parse(topicName);
    Namespace namespace = topic == null ? null : namespaces.get(topic.namespace());
    if (namespace == null) {
      metrics.joinRefused(topic == null ? "invalid topic" : "unknown namespace");
    } else if (joins.matching(topicName, null) == null) {
      String joinRef = "srv:" + (++serverJoins);
      if (!joins.start(topicName, joinRef, true)) {
        metrics.joinRefused("too many joins");
      } else {
        // No ref: the room's reply to it is addressed to no push of the client.
        rooms.tell(new LocalRooms.Join(new JoinRequest(
            topic, namespace, joinRef, null, EMPTY_OBJECT, params, getContext().getSelf(), outcomes, queue)));
        inProgress.started();
      }
    }
    return this;
  }

  private static final ByteString EMPTY_OBJECT = ByteString.fromString("{}");

  private Behavior<Command> onServerLeave(String topic) {
    JoinTable.Join<ActorRef<Channel.Command>> join = joins.matching(topic, null);
    if (join == null || !join.serverSide) return this;
    joins.leave(topic, join.joinRef);
    // Admitted: the room removes the member, then queues phx_close (dropped by phoenix.js). Under
    // way: closed when the room admits it, as any join left meanwhile (onAccepted).
    if (join.channel() != null) join.channel().tell(new Channel.Leave(null));
    return this;
  }

  private void refuse(Frame f, String reason) {
    metrics.joinRefused(reason);
    replyError(f.joinRef(), f.ref(), f.topic(), reason);
  }

  private void leave(Frame f) {
    JoinTable.Join<ActorRef<Channel.Command>> join = joins.leave(f.topic(), f.joinRef());
    if (join == null) {
      replyError(f.joinRef(), f.ref(), f.topic(), "unmatched topic");
      return;
    }
    refuseAll(joins.takeEarly(join));
    metrics.leaves.increment();
    if (join.serverSide) {
      // phoenix.js's leave() of a channel it never joined (join_ref null) ends the backend's
      // subscription: answered under the frame's own join_ref, which phoenix.js matches; the
      // room's phx_close names srv:<n> and is dropped.
      if (join.channel() != null) join.channel().tell(new Channel.Leave(null));
      send(FrameCodec.replyOk(f.joinRef(), f.ref(), f.topic()));
    } else if (join.channel() != null) {
      join.channel().tell(new Channel.Leave(f.ref())); // the room answers once the member is out
    } else {
      send(FrameCodec.replyOk(join.joinRef, f.ref(), f.topic()));
      // phx_close follows the join's ok reply, when the room admits it
    }
  }

  /**
   * A push of the client: an event the server owns (presence_state, phx_..., {@link
   * Events#isReserved}) is refused here, before it reaches a channel; the others go to their
   * join's channel, which checks them against the namespace.
   */
  private void push(Frame f) {
    JoinTable.Join<ActorRef<Channel.Command>> target = joins.matching(f.topic(), f.joinRef());
    if (target != null && target.serverSide) {
      refusePush(f, "unmatched topic"); // the backend's subscription receives; the client pushes through its own join
      return;
    }
    if (Events.isReserved(f.event()) && target != null) {
      refusePush(f, "reserved event");
      return;
    }
    JoinTable.PushDecision<ActorRef<Channel.Command>> decision = joins.push(f);
    if (decision instanceof JoinTable.Forward<ActorRef<Channel.Command>> forward) {
      forward.channel().tell(new Channel.Push(f));
    } else if (decision instanceof JoinTable.Unmatched) {
      refusePush(f, "unmatched topic");
    } // held: forwarded once the join is admitted
  }

  private void refusePush(Frame f, String reason) {
    metrics.pushRefused(reason);
    replyError(f.joinRef(), f.ref(), f.topic(), reason);
  }

  private void refuseAll(List<Frame> pushes) {
    for (Frame f : pushes) refusePush(f, "unmatched topic");
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

  /**
   * Every join sent to the rooms gets exactly one outcome, even one left or replaced meanwhile,
   * so each outcome ends one join in progress.
   */
  private Behavior<Command> onJoinOutcome(JoinOutcome m) {
    inProgress.ended();
    return m.outcome() instanceof JoinRequest.Accepted a ? onAccepted(a) : onRefused((JoinRequest.Refused) m.outcome());
  }

  private Behavior<Command> onAccepted(JoinRequest.Accepted m) {
    List<Frame> early = joins.admitted(m.topic(), m.joinRef(), m.channel());
    if (early != null) {
      getContext().watchWith(m.channel(), new ChannelStopped(m.topic(), m.channel()));
      for (Frame f : early) m.channel().tell(new Channel.Push(f));
    } else {
      // Left or replaced while the join was under way: its ok reply has just been queued. The
      // room ends it as it ends any left join: it removes the member, then queues phx_close, so
      // no broadcast reaches the client after that (a rejoin would otherwise get some twice).
      m.channel().tell(new Channel.Leave(null));
    }
    return this;
  }

  private Behavior<Command> onRefused(JoinRequest.Refused m) {
    refuseAll(joins.refused(m.topic(), m.joinRef()));
    return this;
  }

  private Behavior<Command> onChannelStopped(ChannelStopped m) {
    JoinTable.Join<ActorRef<Channel.Command>> failed = joins.channelStopped(m.topic(), m.channel());
    if (failed != null) { // the channel failed: this join only
      metrics.channelFailures.increment();
      send(FrameCodec.joinEvent(failed.joinRef, m.topic(), Events.ERROR));
    }
    return this;
  }

  /** The admin API's user lookup: what this connection is, from what the session holds anyway. */
  private Behavior<Command> onDescribe(Describe m) {
    m.replyTo().tell(new Description(params.connId(), transport, joins.topics(),
        Math.max(0, System.currentTimeMillis() - connectedAtMillis) / 1000.0));
    return this;
  }

  /**
   * A session that stops while its connection is open has failed (supervision stops a failed
   * actor): nothing would answer the client any more, so its connection closes (1011) and
   * phoenix.js reconnects, instead of hanging until its heartbeat goes unanswered. Either way
   * its joins still unanswered no longer count as in progress: their answers will reach no one
   * (the room frees what it holds for them itself), and the count must not wait for them.
   */
  private Behavior<Command> onPostStop() {
    if (userSessions != null) userSessions.remove(params.userId(), getContext().getSelf());
    inProgress.connectionEnded();
    if (!connectionEnded) queue.close(CloseReason.INTERNAL_ERROR, false);
    return this;
  }

  private Behavior<Command> onConnectionClosed() {
    connectionEnded = true;
    for (ActorRef<Channel.Command> channel : joins.channels()) channel.tell(new Channel.Close());
    return Behaviors.stopped();
  }

  private void replyError(String joinRef, String ref, String topic, String reason) {
    if (ref != null) send(FrameCodec.replyError(joinRef, ref, topic, reason));
  }

  private void send(ByteString frame) {
    queue.offer(WebSocketFrames.text(frame));
  }
}
