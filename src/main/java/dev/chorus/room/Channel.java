package dev.chorus.room;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.hooks.Hook;
import dev.chorus.hooks.HookAnswer;
import dev.chorus.hooks.HookRequest;
import dev.chorus.hooks.HookResult;
import dev.chorus.hooks.Hooks;
import dev.chorus.metrics.Metrics;
import dev.chorus.protocol.Frame;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.transport.CloseReason;
import dev.chorus.transport.ConnectParams;
import dev.chorus.transport.OutboundQueue;
import dev.chorus.transport.RateLimit;
import dev.chorus.transport.WebSocketFrames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Base64;
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
 *
 * <p>With the namespace's hooks on (docs/hooks.md), a push of an RPC event goes to the backend
 * only, its answer being the reply; any other push goes to the publish hook first, one call at
 * a time so that the join's pushes keep their order, the next ones waiting (bounded).
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

  /** The publish hook's answer about {@code frame}. */
  private record PublishHooked(Frame frame, HookResult result) implements Command {}

  /** The RPC hook's answer to {@code frame}. */
  private record RpcAnswered(Frame frame, HookResult result) implements Command {}

  private static final ObjectMapper JSON = new ObjectMapper();

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
    ConnectParams connect = join.connect();
    return Behaviors.setup(ctx -> new Channel(ctx, topic, joinRef, namespace, queue, session, connect, entity, parent, settings, metrics));
  }

  private final String topic;
  private final String joinRef;
  private final Namespace namespace;
  private final OutboundQueue queue;
  private final EntityRef<RoomEntity.Command> entity;
  private final ActorRef<LocalRoom.Command> parent;
  private final String crashEvent;
  private final Metrics metrics;
  private final ConnectParams connect;
  // Made at the first push: most members never push, and the adapter (an actor ref with its
  // path and name) and the bucket were ~400 bytes of every joined connection.
  private RateLimit publishRate;
  private ActorRef<RoomEntity.Published> publishedAdapter;
  // The publish hook: whether a call is under way, and the pushes waiting behind it (made at
  // the first push that has to wait).
  private boolean hookCallUnderWay;
  private ArrayDeque<Frame> waitingForHook;

  private Channel(
      ActorContext<Command> ctx,
      String topic,
      String joinRef,
      Namespace namespace,
      OutboundQueue queue,
      ActorRef<?> session,
      ConnectParams connect,
      EntityRef<RoomEntity.Command> entity,
      ActorRef<LocalRoom.Command> parent,
      RoomSettings settings,
      Metrics metrics) {
    super(ctx);
    this.connect = connect;
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
        if (m instanceof PublishHooked h) return onPublishHooked(h.frame(), h.result());
        if (m instanceof RpcAnswered a) return onRpcAnswered(a.frame(), a.result());
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
    boolean rpc = namespace.hooks().isRpc(f.event());
    if (!rpc && !namespace.clientPublish()) {
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
    } else if (rpc) {
      callRpc(f);
    } else if (namespace.hooks().publish().enabled()) {
      hookPublish(f);
    } else {
      publish(f, f.payload());
    }
    return this;
  }

  private void publish(Frame f, ByteString payload) {
    if (publishedAdapter == null) publishedAdapter = getContext().messageAdapter(RoomEntity.Published.class, Published::new);
    // The user goes along when the push may become a client_event webhook (the entity sends it).
    String user = !f.binary() && namespace.webhooks().clientEvent(f.event()) ? connect.userId() : null;
    entity.tell(new RoomEntity.Publish(f.event(), payload, f.ref(), publishedAdapter, f.binary(), user));
  }

  /** One publish hook call at a time; the pushes after it wait, up to the hook's max-pending. */
  private void hookPublish(Frame f) {
    if (!hookCallUnderWay) {
      callPublishHook(f);
    } else {
      if (waitingForHook == null) waitingForHook = new ArrayDeque<>();
      if (waitingForHook.size() >= namespace.hooks().publish().maxPending()) {
        replyError(f, "too many pending pushes");
      } else {
        waitingForHook.add(f);
      }
    }
  }

  private void callPublishHook(Frame f) {
    ObjectNode fields = hookFields(f);
    if (fields == null) return;
    hookCallUnderWay = true;
    Hook hook = Hooks.get(getContext().getSystem()).hook("publish", namespace.name(), namespace.hooks().publish());
    getContext().pipeToSelf(hook.call(connect.userId(), connect.connId(), fields, HookAnswer::verdict),
        (result, error) -> new PublishHooked(f, HookResult.of(result, error)));
  }

  private Behavior<Command> onPublishHooked(Frame f, HookResult result) {
    if (result instanceof HookResult.Answered a && a.answer().allowed()) {
      ByteString payload = allowedPayload(f, a.answer());
      // unchanged, it passed the size check already
      if (payload == f.payload() || FrameCodec.renderedSize(f.joinRef(), f.ref(), topic, f.event(), payload) <= namespace.maxMessageBytes()) {
        publish(f, payload);
      } else {
        replyError(f, "message too large"); // as the backend changed it
      }
    } else {
      refuseByHook(f, result);
    }
    hookCallUnderWay = false;
    // the next waiting push, or the one after it if that one cannot be sent (a payload that is no JSON)
    while (!hookCallUnderWay && waitingForHook != null && !waitingForHook.isEmpty()) callPublishHook(waitingForHook.poll());
    return this;
  }

  /**
   * The payload the backend allowed: its own "payload" for a JSON push, its "binary" (base64)
   * for a binary push, else the client's.
   */
  private static ByteString allowedPayload(Frame f, HookAnswer answer) {
    if (!f.binary() && answer.payload() != null) return ByteString.fromArray(answer.payload().toString().getBytes(StandardCharsets.UTF_8));
    if (f.binary() && answer.binary() != null) return ByteString.fromArray(answer.binary());
    return f.payload();
  }

  private void callRpc(Frame f) {
    ObjectNode fields = hookFields(f);
    if (fields == null) return;
    Hook hook = Hooks.get(getContext().getSystem()).hook("rpc", namespace.name(), namespace.hooks().rpc());
    getContext().pipeToSelf(hook.call(connect.userId(), connect.connId(), fields, HookAnswer::rpc),
        (result, error) -> new RpcAnswered(f, HookResult.of(result, error)));
  }

  private Behavior<Command> onRpcAnswered(Frame f, HookResult result) {
    if (result instanceof HookResult.Answered a && a.answer().allowed()) {
      if (f.ref() != null) {
        String reply = a.answer().reply() == null ? "{}" : a.answer().reply().toString();
        send(FrameCodec.replyOk(joinRef, f.ref(), topic, ByteString.fromString(reply)));
      }
    } else {
      refuseByHook(f, result);
    }
    return this;
  }

  /**
   * {"topic", "event", "payload"} of a push, a binary one's bytes as "binary" (base64) instead of
   * "payload"; null (and the push refused) if a JSON payload does not parse.
   */
  private ObjectNode hookFields(Frame f) {
    ObjectNode fields = HookRequest.fields();
    fields.put("topic", topic);
    fields.put("event", f.event());
    if (f.binary()) {
      fields.put("binary", Base64.getEncoder().encodeToString(f.payload().toArray()));
    } else {
      try {
        fields.set("payload", JSON.readTree(f.payload().toArray()));
      } catch (IOException e) {
        replyError(f, "invalid payload");
        return null;
      }
    }
    return fields;
  }

  /**
   * A backend's refusal (its reason to the client, counted as "refused by backend": reasons are
   * free text, no metric label) or a failure with on-failure = refuse ("backend unavailable", ...).
   */
  private void refuseByHook(Frame f, HookResult result) {
    if (result instanceof HookResult.Answered a) {
      metrics.pushRefused("refused by backend");
      if (f.ref() != null) send(FrameCodec.replyError(joinRef, f.ref(), topic, a.answer().reason()));
    } else {
      replyError(f, ((HookResult.Failed) result).kind().reason());
    }
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
