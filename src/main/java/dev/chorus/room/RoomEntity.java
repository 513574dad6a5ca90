package dev.chorus.room;

import dev.chorus.metrics.Metrics;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.protocol.Topic;
import dev.chorus.transport.WebSocketFrames;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.util.ByteString;

/**
 * The cluster-wide sequencer of one topic, a Cluster Sharding entity whose id is the topic.
 * It numbers every message, keeps the bounded history that recovery will read, enforces the
 * member cap, and knows which nodes' {@link LocalRoom}s hold members. A publish is rendered
 * once, as the WebSocket frame every subscriber will receive, and sent once per such node.
 *
 * <p>When it starts (a room's first join, or after it moved because a node joined, left or
 * died) it first asks every node's {@link LocalRooms} where the topic's members are, holding
 * publishes back meanwhile (bounded by chorus.room.locate-stash and locate-timeout), so that a
 * moved room loses no subscriber. Local rooms also re-state their counts periodically.
 */
public final class RoomEntity extends AbstractBehavior<RoomEntity.Command> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "room");

  public sealed interface Command {}

  /**
   * A local room asks to admit one more member, which may ask to recover what it missed since
   * {@code since} (null: a fresh join); answered with Admitted or Refused.
   */
  public record Admit(ActorRef<LocalRoom.Command> localRoom, long joinId, Position since) implements Command, CrossNode {}

  /** One member of that local room has gone. */
  public record MemberLeft(ActorRef<LocalRoom.Command> localRoom) implements Command, CrossNode {}

  /**
   * A local room states how many members it holds. Sent periodically, so that an entity that
   * was restarted or moved learns its nodes again.
   */
  public record Register(ActorRef<LocalRoom.Command> localRoom, int members) implements Command, CrossNode {}

  public record Publish(String event, ByteString payload, String ref, ActorRef<Published> replyTo)
      implements Command, CrossNode {}

  /** The publish was sequenced as {@code seq} in {@code epoch}. */
  public record Published(String ref, String epoch, long seq) implements CrossNode {}

  /** A node's answer to {@link LocalRooms.Locate}: its local room (null if none) and members. */
  public record Located(ActorRef<LocalRooms.Command> node, ActorRef<LocalRoom.Command> localRoom, int members)
      implements Command, CrossNode {}

  /** The kept messages after {@code afterSeq}, for the API for backends. */
  public record GetHistory(long afterSeq, ActorRef<History> replyTo) implements Command, CrossNode {}

  /** Where the topic stands and its kept messages (rendered frames) after the asked seq. */
  public record History(Position at, List<Long> seqs, List<ByteString> frames) implements CrossNode {}

  private record Listed(Receptionist.Listing listing) implements Command {}

  private enum LocateTimeout implements Command { INSTANCE }

  private record LocalRoomStopped(ActorRef<LocalRoom.Command> localRoom) implements Command {}

  public static Behavior<Command> create(String topic, Namespaces namespaces, RoomSettings settings, Metrics metrics) {
    return Behaviors.setup(ctx -> Behaviors.withStash(settings.locateStash(), stash -> Behaviors.withTimers(timers ->
        new Locating(ctx, stash, timers, new RoomEntity(ctx, topic, namespaces, metrics), settings).start())));
  }

  /** The first phase of an entity's life: find the nodes that hold the topic's members. */
  private static final class Locating {
    private final ActorContext<Command> ctx;
    private final StashBuffer<Command> stash;
    private final TimerScheduler<Command> timers;
    private final RoomEntity room;
    private final RoomSettings settings;
    private Set<ActorRef<LocalRooms.Command>> awaiting; // null until the receptionist answered

    Locating(ActorContext<Command> ctx, StashBuffer<Command> stash, TimerScheduler<Command> timers,
        RoomEntity room, RoomSettings settings) {
      this.ctx = ctx;
      this.stash = stash;
      this.timers = timers;
      this.room = room;
      this.settings = settings;
    }

    Behavior<Command> start() {
      ActorRef<Receptionist.Listing> listed = ctx.messageAdapter(Receptionist.Listing.class, Listed::new);
      ctx.getSystem().receptionist().tell(Receptionist.find(LocalRooms.SERVICE_KEY, listed));
      timers.startSingleTimer(LocateTimeout.INSTANCE, settings.locateTimeout());
      return Behaviors.receive(Command.class)
          .onMessage(Listed.class, this::onListed)
          .onMessage(Located.class, this::onLocated)
          .onMessageEquals(LocateTimeout.INSTANCE, this::ready)
          .onAnyMessage(this::hold)
          .build();
    }

    private Behavior<Command> onListed(Listed m) {
      awaiting = new HashSet<>(m.listing().getServiceInstances(LocalRooms.SERVICE_KEY));
      for (ActorRef<LocalRooms.Command> node : awaiting) node.tell(new LocalRooms.Locate(room.topic, ctx.getSelf()));
      return awaiting.isEmpty() ? ready() : Behaviors.same();
    }

    private Behavior<Command> onLocated(Located m) {
      room.onLocated(m);
      if (awaiting != null) awaiting.remove(m.node());
      return awaiting != null && awaiting.isEmpty() ? ready() : Behaviors.same();
    }

    private Behavior<Command> hold(Command m) throws Exception {
      if (!stash.isFull()) {
        stash.stash(m);
        return Behaviors.same();
      }
      // The bound is reached: serve with what is known rather than grow; order is kept, since
      // everything held is handled before this message.
      Behavior<Command> next = ready();
      room.createReceive().receiveMessage(m);
      return next;
    }

    private Behavior<Command> ready() {
      timers.cancel(LocateTimeout.INSTANCE);
      return stash.unstashAll(room);
    }
  }

  private final String topic;
  private final Namespace namespace; // null for a topic of no configured namespace
  private final Metrics metrics;
  /** Changes whenever the entity starts afresh, so a client can tell its seq no longer applies. */
  private final String epoch = Long.toString(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE), 36);
  private long seq;
  private final Map<ActorRef<LocalRoom.Command>, Integer> membersByLocalRoom = new HashMap<>();
  private int members;
  private final RoomHistory history;

  private RoomEntity(ActorContext<Command> ctx, String topic, Namespaces namespaces, Metrics metrics) {
    super(ctx);
    this.topic = topic;
    Topic parsed = Topic.parse(topic);
    this.namespace = parsed == null ? null : namespaces.get(parsed.namespace());
    this.history = namespace == null ? RoomHistory.none() : new RoomHistory(namespace.historySize(), namespace.historyTtl());
    this.metrics = metrics;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Admit.class, this::onAdmit)
        .onMessage(MemberLeft.class, m -> setMembers(m.localRoom(), count(m.localRoom()) - 1))
        .onMessage(Register.class, m -> setMembers(m.localRoom(), m.members()))
        .onMessage(LocalRoomStopped.class, m -> setMembers(m.localRoom(), 0))
        .onMessage(Publish.class, this::onPublish)
        .onMessage(Located.class, this::onLocated)
        .onMessage(GetHistory.class, this::onGetHistory)
        .onMessage(Listed.class, m -> this) // late answers of the locating phase
        .onMessageEquals(LocateTimeout.INSTANCE, () -> this)
        .onSignal(PostStop.class, signal -> {
          history.close(); // its frames are off the heap: free them with the entity
          return this;
        })
        .build();
  }

  private Behavior<Command> onGetHistory(GetHistory m) {
    List<Long> seqs = new ArrayList<>();
    List<ByteString> frames = new ArrayList<>();
    for (RoomHistory.Entry e : history.after(m.afterSeq(), System.currentTimeMillis())) {
      seqs.add(e.seq());
      frames.add(e.frame());
    }
    m.replyTo().tell(new History(new Position(epoch, seq), List.copyOf(seqs), List.copyOf(frames)));
    return this;
  }

  private Behavior<Command> onLocated(Located m) {
    return m.localRoom() == null ? this : setMembers(m.localRoom(), m.members());
  }

  private Behavior<Command> onAdmit(Admit m) {
    if (namespace == null) {
      m.localRoom().tell(new LocalRoom.Refused(m.joinId(), "unknown namespace"));
    } else if (members >= namespace.maxMembers()) {
      m.localRoom().tell(new LocalRoom.Refused(m.joinId(), "room full"));
    } else {
      setMembers(m.localRoom(), count(m.localRoom()) + 1);
      m.localRoom().tell(admitted(m.joinId(), m.since()));
    }
    return this;
  }

  /**
   * The answer to a join: where the topic stands, and for a join that asks to recover, the
   * frames after its position, from history ({@link RoomHistory#recover} decides). Live
   * deliveries to the room follow this answer, so replay and live messages meet without gap or
   * duplicate.
   */
  private LocalRoom.Admitted admitted(long joinId, Position since) {
    Position now = new Position(epoch, seq);
    RoomHistory.Recovery r = history.recover(since, now, System.currentTimeMillis());
    return new LocalRoom.Admitted(joinId, now, r.recovered(), r.replay());
  }

  private int count(ActorRef<LocalRoom.Command> localRoom) {
    return membersByLocalRoom.getOrDefault(localRoom, 0);
  }

  private Behavior<Command> setMembers(ActorRef<LocalRoom.Command> localRoom, int count) {
    Integer before = count > 0 ? membersByLocalRoom.put(localRoom, count) : membersByLocalRoom.remove(localRoom);
    members += Math.max(count, 0) - (before == null ? 0 : before);
    if (before == null && count > 0) {
      getContext().watchWith(localRoom, new LocalRoomStopped(localRoom));
    } else if (before != null && count <= 0) {
      getContext().unwatch(localRoom);
    }
    return this;
  }

  private Behavior<Command> onPublish(Publish m) {
    seq++;
    ByteString frame = WebSocketFrames.textBytes(
        FrameCodec.encode(null, new Position(epoch, seq).ref(), topic, m.event(), m.payload()));
    LocalRoom.Deliver deliver = new LocalRoom.Deliver(seq, frame, Clocks.epochMicros());
    for (ActorRef<LocalRoom.Command> localRoom : membersByLocalRoom.keySet()) {
      localRoom.tell(deliver);
      if (!localRoom.path().address().hasLocalScope()) metrics.crossNodeDeliveries.increment();
    }
    history.remember(seq, frame, System.currentTimeMillis());
    metrics.publishes.increment();
    m.replyTo().tell(new Published(m.ref(), epoch, seq));
    return this;
  }
}
