package dev.chorus.room;

import dev.chorus.metrics.Metrics;
import dev.chorus.placement.ServingMembers;
import dev.chorus.protocol.BinaryCodec;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.protocol.Topic;
import dev.chorus.transport.WebSocketFrames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.Address;
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
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
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
 *
 * <p>Its bounds: a node hosts at most {@code chorus.room.max-rooms} entities (one that starts
 * beyond it admits nobody new: "too many rooms", and stops as soon as it has no members); an
 * entity without members that receives nothing for {@code chorus.room.idle-timeout} stops (its
 * history goes with it: a later join starts a new epoch); its history is bounded by count, age,
 * bytes and the node's budget ({@link RoomHistory}); and what it sends another node is cut into
 * pages of at most {@code chorus.room.replay-page-bytes} (a recovery's replay, a history read),
 * so that no message exceeds Artery's frame.
 */
public final class RoomEntity extends AbstractBehavior<RoomEntity.Command> {

  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "room");

  public sealed interface Command {}

  /**
   * A local room asks to admit one more member, which may ask to recover what it missed since
   * {@code since} (null: a fresh join); answered with Admitted or Refused. {@code roomAt} is
   * where the room itself stands (null: it has delivered nothing), so that an entity that did
   * not know the room catches its members up first.
   */
  public record Admit(ActorRef<LocalRoom.Command> localRoom, long joinId, Position since, Position roomAt, String userId)
      implements Command, CrossNode {
    /**
     * {@code userId}: the member's user, for the topic's user webhooks; null when its namespace
     * sends none (the entity then counts members only).
     */
    public Admit(ActorRef<LocalRoom.Command> localRoom, long joinId, Position since, Position roomAt) {
      this(localRoom, joinId, since, roomAt, null);
    }

    /** From a room that has delivered nothing yet. */
    public Admit(ActorRef<LocalRoom.Command> localRoom, long joinId, Position since) {
      this(localRoom, joinId, since, null);
    }
  }

  /** One member of that local room has gone; {@code userId} as in {@link Admit} (null: not counted by user). */
  public record MemberLeft(ActorRef<LocalRoom.Command> localRoom, String userId) implements Command, CrossNode {
    public MemberLeft(ActorRef<LocalRoom.Command> localRoom) {
      this(localRoom, null);
    }
  }

  /**
   * A local room states how many members it holds. Sent periodically, so that an entity that
   * was restarted or moved learns its nodes again.
   */
  public record Register(ActorRef<LocalRoom.Command> localRoom, int members, Position at, Map<String, Integer> users)
      implements Command, CrossNode {
    /** {@code users}: connections per user, for user webhooks; null when the namespace sends none. */
    public Register(ActorRef<LocalRoom.Command> localRoom, int members, Position at) {
      this(localRoom, members, at, null);
    }

    /** A local room that has seen no message of the topic yet. */
    public Register(ActorRef<LocalRoom.Command> localRoom, int members) {
      this(localRoom, members, null);
    }
  }

  /**
   * A message to sequence and broadcast; a {@code binary} one's payload is opaque bytes,
   * broadcast as a Phoenix V2 binary message ({@link BinaryCodec}), else it is a JSON object.
   */
  public record Publish(String event, ByteString payload, String ref, ActorRef<Published> replyTo, boolean binary, String userId)
      implements Command, CrossNode {
    /** {@code userId}: the pushing client's user when the event may become a client_event webhook, else null. */
    public Publish(String event, ByteString payload, String ref, ActorRef<Published> replyTo, boolean binary) {
      this(event, payload, ref, replyTo, binary, null);
    }

    /** A JSON message. */
    public Publish(String event, ByteString payload, String ref, ActorRef<Published> replyTo) {
      this(event, payload, ref, replyTo, false);
    }
  }

  /** The publish was sequenced as {@code seq} in {@code epoch}. */
  public record Published(String ref, String epoch, long seq) implements CrossNode {}

  /**
   * A node's answer to {@link LocalRooms.Locate}: its local room (null if none) and members; the
   * last position that room delivered ({@code at}, null if none) and the oldest seq of its copy of
   * the history ({@code Long.MAX_VALUE} if it keeps none), from which a restarted entity takes up
   * the topic where its previous incarnation left it.
   */
  public record Located(ActorRef<LocalRooms.Command> node, ActorRef<LocalRoom.Command> localRoom, int members,
      Position at, long oldestSeq, Map<String, Integer> users) implements Command, CrossNode {
    /** {@code users} as in {@link Register}. */
    public Located(ActorRef<LocalRooms.Command> node, ActorRef<LocalRoom.Command> localRoom, int members,
        Position at, long oldestSeq) {
      this(node, localRoom, members, at, oldestSeq, null);
    }

    public Located(ActorRef<LocalRooms.Command> node, ActorRef<LocalRoom.Command> localRoom, int members) {
      this(node, localRoom, members, null, Long.MAX_VALUE);
    }
  }

  /**
   * A page of a local room's copy of the history, asked for by a restarted entity
   * ({@link LocalRoom.SendTail}): {@code more} when further pages follow.
   */
  public record Tail(List<Long> seqs, List<ByteString> frames, boolean more) implements Command, CrossNode {}

  /**
   * The kept messages after {@code afterSeq}, for the API for backends: answered with one page
   * (at most chorus.room.replay-page-bytes of frames); ask again after its last seq while it
   * says {@code more}.
   */
  public record GetHistory(long afterSeq, ActorRef<History> replyTo) implements Command, CrossNode {}

  /**
   * Where the topic stands and its kept messages (rendered frames) after the asked seq, a page
   * of them: {@code more} when further ones are kept after the last.
   */
  public record History(Position at, List<Long> seqs, List<ByteString> frames, boolean more) implements CrossNode {
    public History(Position at, List<Long> seqs, List<ByteString> frames) {
      this(at, seqs, frames, false);
    }
  }

  /**
   * The admin API's topic inspector asks where the topic stands: answered with the entity's own
   * node, its position, its members cluster-wide and the size of its history. (Asking starts an
   * entity that was not running, as any message to a topic does; one without members stops
   * again after chorus.room.idle-timeout.)
   */
  public record Inspect(ActorRef<Inspection> replyTo) implements Command, CrossNode {}

  public record Inspection(String node, Position at, int members, int historyMessages, long historyBytes) implements CrossNode {}

  /** Sharding's stop message: the entity passivates (it asked to, or sharding decided). */
  public enum Stop implements Command { INSTANCE }

  /** No member and no message for chorus.room.idle-timeout. */
  private enum IdleTimeout implements Command { INSTANCE }

  private record Listed(Receptionist.Listing listing) implements Command {}

  private enum LocateTimeout implements Command { INSTANCE }

  /** Ask the receptionist again: a serving member's local rooms are not listed yet. */
  private enum FindAgain implements Command { INSTANCE }

  /**
   * How soon a locating entity asks the receptionist again while a serving member is missing
   * from its listing (a node that joined lately learns the others' registrations by gossip,
   * within a second or two): often enough not to wait long, rarely enough to cost nothing.
   */
  private static final Duration FIND_AGAIN = Duration.ofMillis(100);

  private record LocalRoomStopped(ActorRef<LocalRoom.Command> localRoom) implements Command {}

  /** A user's leave may be due (chorus.webhooks.user-left-delay). */
  private enum WebhookTick implements Command { INSTANCE }

  /**
   * The entity of {@code topic}; {@code shard} is the shard it lives in, asked to passivate it
   * when it is idle (null outside sharding, in tests: it just stops); {@code node} is what the
   * entities of this node share.
   */
  public static Behavior<Command> create(String topic, ActorRef<ClusterSharding.ShardCommand> shard, Namespaces namespaces,
      RoomSettings settings, NodeRooms node, Metrics metrics) {
    return Behaviors.setup(ctx -> Behaviors.withStash(settings.locateStash(), stash -> Behaviors.withTimers(timers ->
        new Locating(ctx, stash, timers, new RoomEntity(ctx, timers, shard, topic, namespaces, settings, node, metrics), settings)
            .start())));
  }

  /** The first phase of an entity's life: find the nodes that hold the topic's members. */
  private static final class Locating {
    private final ActorContext<Command> ctx;
    private final StashBuffer<Command> stash;
    private final TimerScheduler<Command> timers;
    private final RoomEntity room;
    private final RoomSettings settings;
    private Set<ActorRef<LocalRooms.Command>> awaiting; // null until the receptionist answered
    private final Set<ActorRef<LocalRooms.Command>> asked = new HashSet<>();
    /** Members that serve (Up, WeaklyUp, Leaving) whose local rooms the receptionist did not list. */
    private Set<Address> unlisted = Set.of();
    private ActorRef<Receptionist.Listing> listed;
    /** The located rooms that have delivered messages of the topic, and where they are. */
    private final Map<ActorRef<LocalRoom.Command>, Located> positions = new HashMap<>();
    /** Taking the history up from the most advanced room's copy (its {@link Tail} pages). */
    private boolean fetching;
    private final long startedAt = System.nanoTime();

    Locating(ActorContext<Command> ctx, StashBuffer<Command> stash, TimerScheduler<Command> timers,
        RoomEntity room, RoomSettings settings) {
      this.ctx = ctx;
      this.stash = stash;
      this.timers = timers;
      this.room = room;
      this.settings = settings;
    }

    Behavior<Command> start() {
      listed = ctx.messageAdapter(Receptionist.Listing.class, Listed::new);
      find();
      timers.startSingleTimer(LocateTimeout.INSTANCE, settings.locateTimeout());
      return Behaviors.receive(Command.class)
          .onMessage(Listed.class, this::onListed)
          .onMessageEquals(FindAgain.INSTANCE, this::find)
          .onMessage(Located.class, this::onLocated)
          .onMessage(Tail.class, this::onTail)
          .onMessageEquals(LocateTimeout.INSTANCE, () -> fetching ? ready() : takeUp())
          .onAnyMessage(this::hold)
          // An entity that stops while its held messages are replayed (a join over max-rooms, a
          // Stop) gets its PostStop here, in the behavior it replayed them from.
          .onSignal(PostStop.class, signal -> room.onStopped())
          .build();
    }

    private Behavior<Command> find() {
      ctx.getSystem().receptionist().tell(Receptionist.find(LocalRooms.SERVICE_KEY, listed));
      return Behaviors.same();
    }

    /**
     * Asks each node the receptionist lists, once. A member that serves but is not listed yet
     * (this node joined lately and has not learned of it, or it has just joined) may hold the
     * topic's members: without its answer the entity could start the topic afresh under them.
     * So the listing is asked for again until it shows every serving member, or the time is up.
     */
    private Behavior<Command> onListed(Listed m) {
      if (awaiting == null) awaiting = new HashSet<>();
      Set<Address> nodes = new HashSet<>();
      for (ActorRef<LocalRooms.Command> node : m.listing().getServiceInstances(LocalRooms.SERVICE_KEY)) {
        nodes.add(ServingMembers.nodeOf(ctx.getSystem(), node));
        if (asked.add(node)) {
          awaiting.add(node);
          node.tell(new LocalRooms.Locate(room.topic, ctx.getSelf()));
        }
      }
      unlisted = new HashSet<>(ServingMembers.of(ctx.getSystem()));
      unlisted.removeAll(nodes);
      ctx.getLog().debug("{} locating its members on {} nodes, {} serving members not listed yet", room.topic, asked.size(), unlisted.size());
      if (!unlisted.isEmpty()) timers.startSingleTimer(FindAgain.INSTANCE, FIND_AGAIN);
      return everyNodeAnswered() ? takeUp() : Behaviors.same();
    }

    private boolean everyNodeAnswered() {
      return awaiting != null && awaiting.isEmpty() && unlisted.isEmpty();
    }

    private Behavior<Command> onLocated(Located m) {
      if (m.localRoom() != null) {
        room.setMembers(m.localRoom(), m.members()).settle();
        if (room.webhooks != null) room.webhooks.restate(m.localRoom(), m.members(), m.users(), true);
        // One that answers while the history is taken up is caught up with the others.
        if (m.at() != null) positions.put(m.localRoom(), m);
      }
      if (fetching || awaiting == null || !awaiting.remove(m.node())) return Behaviors.same();
      return everyNodeAnswered() ? takeUp() : Behaviors.same();
    }

    /**
     * Every node answered, or the time is up: the entity continues the topic where the most
     * advanced local room has seen it (the same epoch, the next seq), and takes its history up
     * from that room's copy, so a client that lost its node recovers on another as if the room
     * had never moved. Every message a publisher was told was sequenced is in the copy of its
     * own node's room at least (the entity sends the broadcast before the answer, on the same
     * link). A room no node has seen starts afresh.
     */
    private Behavior<Command> takeUp() {
      timers.cancel(FindAgain.INSTANCE);
      Located best = null;
      for (Located l : positions.values()) {
        if (best == null || l.at().seq() > best.at().seq()
            || (l.at().seq() == best.at().seq() && l.oldestSeq() < best.oldestSeq())) best = l;
      }
      if (best == null) {
        if (!unlisted.isEmpty()) {
          // Should be rare (a node that joined and took rooms before it learned of the others):
          // a node that held members will re-register, and they will be told the topic restarted.
          ctx.getLog().info("{} starts afresh without word from {} serving members its receptionist did not list",
              room.topic, unlisted.size());
        }
        return ready();
      }
      room.resume(best.at());
      if (best.oldestSeq() > best.at().seq()) return ready(); // that room keeps no copy
      fetching = true;
      best.localRoom().tell(new LocalRoom.SendTail(ctx.getSelf()));
      timers.startSingleTimer(LocateTimeout.INSTANCE, settings.locateTimeout());
      return Behaviors.same();
    }

    private Behavior<Command> onTail(Tail m) {
      if (!fetching) return Behaviors.same();
      room.rememberTail(m);
      return m.more() ? Behaviors.same() : ready();
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
      if (ctx.getLog().isDebugEnabled()) {
        ctx.getLog().debug("{} located in {} ms{}", room.topic, (System.nanoTime() - startedAt) / 1_000_000,
            awaiting == null ? " (no listing)" : awaiting.isEmpty() ? "" : " (" + awaiting.size() + " nodes did not answer)");
      }
      timers.cancel(LocateTimeout.INSTANCE);
      for (Located l : positions.values()) room.catchUp(l.localRoom(), l.at());
      return stash.unstashAll(room);
    }
  }

  private final String topic;
  private final Namespace namespace; // null for a topic of no configured namespace
  private final TimerScheduler<Command> timers;
  private final ActorRef<ClusterSharding.ShardCommand> shard; // null outside sharding
  private final RoomSettings settings;
  private final NodeRooms node;
  private boolean stopped;
  private final Metrics metrics;
  /** Started beyond the node's max-rooms: admits nobody new, and stops once it has no members. */
  private final boolean overCap;
  private boolean idleTimerOn;
  private boolean passivating;
  /**
   * Changes whenever the topic starts afresh (no node had seen it), so a client can tell its
   * seq no longer applies; an entity that moved takes its epoch and seq up ({@link #resume}).
   */
  private String epoch = Long.toString(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE), 36);
  private long seq;
  /** The seq of the last message that exists: {@link #seq} but after a take-up (the gap). */
  private long lastMessageSeq;
  /** The last seq taken into the history from a local room's copy ({@link #rememberTail}). */
  private long tailSeq = -1;

  /**
   * How far a restarted entity moves the seq on past the position it takes up: the dead
   * incarnation may have sequenced messages that reached no surviving node (only its own
   * node's clients, which come back with positions past the surviving ones). Had their seqs
   * been given again to new messages, such a client would skip the new ones as already seen.
   * A million is far more than could be in flight (Artery queues 3 072 messages per peer) or
   * sequenced by a partitioned node before it is downed; JavaScript numbers stay exact up to
   * 2^53, a billion such moves.
   */
  static final long TAKE_UP_GAP = 1_000_000;
  private final Map<ActorRef<LocalRoom.Command>, Integer> membersByLocalRoom = new HashMap<>();
  private int members;
  private final RoomHistory history;
  /** The topic's webhook events; null when its namespace sends none. */
  private final TopicWebhooks webhooks;

  private RoomEntity(ActorContext<Command> ctx, TimerScheduler<Command> timers, ActorRef<ClusterSharding.ShardCommand> shard,
      String topic, Namespaces namespaces, RoomSettings settings, NodeRooms node, Metrics metrics) {
    super(ctx);
    this.topic = topic;
    this.timers = timers;
    this.shard = shard;
    this.settings = settings;
    this.node = node;
    Topic parsed = Topic.parse(topic);
    this.namespace = parsed == null ? null : namespaces.get(parsed.namespace());
    this.history = namespace == null
        ? RoomHistory.none()
        : new RoomHistory(namespace.historySize(), namespace.historyTtl(), namespace.historyMaxBytes(), node.history);
    this.metrics = metrics;
    this.webhooks = TopicWebhooks.of(topic, namespace, node);
    this.overCap = !node.entityStarted();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Admit.class, this::onAdmit)
        .onMessage(MemberLeft.class, this::onMemberLeft)
        .onMessage(Register.class, this::onRegister)
        .onMessage(LocalRoomStopped.class, this::onLocalRoomStopped)
        .onMessageEquals(WebhookTick.INSTANCE, this::onWebhookTick)
        .onMessage(Publish.class, this::onPublish)
        .onMessage(Located.class, this::onLocated)
        .onMessage(GetHistory.class, this::onGetHistory)
        .onMessage(Inspect.class, this::onInspect)
        .onMessage(Listed.class, m -> this) // late answers of the locating phase
        .onMessage(Tail.class, m -> this)
        .onMessageEquals(LocateTimeout.INSTANCE, () -> this)
        .onMessageEquals(FindAgain.INSTANCE, () -> this)
        .onMessageEquals(IdleTimeout.INSTANCE, this::onIdleTimeout)
        .onMessageEquals(Stop.INSTANCE, () -> Behaviors.stopped())
        .onSignal(PostStop.class, signal -> onStopped())
        .build();
  }

  /** The entity has stopped, in whichever phase: its history (off the heap) and its place on the node are freed, once. */
  private Behavior<Command> onStopped() {
    if (stopped) return this;
    stopped = true;
    if (webhooks != null) webhooks.stopped();
    history.close();
    node.entityStopped();
    return this;
  }

  /**
   * After each message: an entity without members waits idle-timeout for anything more, then
   * stops; one over the node's max-rooms stops at once.
   */
  private Behavior<Command> settle() {
    if (members > 0) {
      if (idleTimerOn) timers.cancel(IdleTimeout.INSTANCE);
      idleTimerOn = false;
      return this;
    }
    if (overCap) return passivate();
    timers.startSingleTimer(IdleTimeout.INSTANCE, settings.idleTimeout());
    idleTimerOn = true;
    return this;
  }

  private Behavior<Command> onIdleTimeout() {
    idleTimerOn = false;
    return members > 0 ? this : passivate();
  }

  /**
   * Asks the shard to stop this entity: the shard holds the messages that arrive meanwhile and
   * starts a new incarnation for them. Outside sharding (tests) it just stops.
   */
  private Behavior<Command> passivate() {
    if (shard == null) return Behaviors.stopped();
    if (!passivating) {
      passivating = true;
      shard.tell(new ClusterSharding.Passivate<>(getContext().getSelf()));
    }
    return this;
  }

  private Behavior<Command> onGetHistory(GetHistory m) {
    RoomHistory.Page page = history.after(m.afterSeq(), System.currentTimeMillis(), settings.replayPageBytes());
    m.replyTo().tell(new History(new Position(epoch, seq), page.seqs(), page.frames(), page.more()));
    return settle();
  }

  private Behavior<Command> onInspect(Inspect m) {
    m.replyTo().tell(new Inspection(getContext().getSystem().address().toString(), new Position(epoch, seq), members,
        history.size(), history.bytes()));
    return settle();
  }

  /** A node answered after the locating phase: its room is brought up to date, as a registering one. */
  private Behavior<Command> onLocated(Located m) {
    if (m.localRoom() == null) return this;
    catchUp(m.localRoom(), m.at());
    restateForWebhooks(m.localRoom(), m.members(), m.users());
    return setMembers(m.localRoom(), m.members()).settle();
  }

  /** A room this entity did not know (it did not answer the locating in time) is brought up to date as it registers. */
  private Behavior<Command> onRegister(Register m) {
    if (count(m.localRoom()) == 0 && m.members() > 0) catchUp(m.localRoom(), m.at());
    restateForWebhooks(m.localRoom(), m.members(), m.users());
    return setMembers(m.localRoom(), m.members()).settle();
  }

  private Behavior<Command> onMemberLeft(MemberLeft m) {
    if (webhooks != null) {
      webhooks.left(m.localRoom(), m.userId());
      startWebhookTick();
    }
    return setMembers(m.localRoom(), count(m.localRoom()) - 1).settle();
  }

  /** A node's room stopped (or its node is gone): its members are. */
  private Behavior<Command> onLocalRoomStopped(LocalRoomStopped m) {
    if (webhooks != null) {
      webhooks.roomGone(m.localRoom());
      startWebhookTick();
    }
    return setMembers(m.localRoom(), 0).settle();
  }

  private void restateForWebhooks(ActorRef<LocalRoom.Command> localRoom, int members, Map<String, Integer> users) {
    if (webhooks == null) return;
    webhooks.restate(localRoom, members, users, false);
    startWebhookTick();
  }

  /** While leaves wait, a timer sends each when it is due. */
  private void startWebhookTick() {
    if (webhooks.waiting() && !timers.isTimerActive(WebhookTick.INSTANCE)) onWebhookTick();
  }

  private Behavior<Command> onWebhookTick() {
    long next = webhooks.tick();
    if (next >= 0) timers.startSingleTimer(WebhookTick.INSTANCE, Duration.ofMillis(Math.max(next, 1)));
    return this;
  }

  /** The topic continues at {@code at}, where a local room saw it last: this entity moved. */
  private void resume(Position at) {
    epoch = at.epoch();
    lastMessageSeq = at.seq();
    seq = at.seq() + TAKE_UP_GAP;
  }

  /** A page of a local room's copy of the history, oldest first, taken up as this entity's own. */
  private void rememberTail(Tail m) {
    long now = System.currentTimeMillis();
    for (int i = 0; i < m.seqs().size(); i++) {
      long s = m.seqs().get(i);
      if (s <= tailSeq || s > lastMessageSeq) continue; // kept in order, and never past the position taken up
      history.remember(s, m.frames().get(i), now);
      tailSeq = s;
    }
  }

  /**
   * Sends a local room that was at {@code at} (null: it has delivered nothing) what it missed,
   * in pages, so that its members go on without a gap: messages the previous incarnation sent
   * other nodes but not this one before it died; and where the topic stands now (past the
   * take-up gap). {@code complete} says the history held every message after the room's
   * position. A room of another epoch is told the new one. A room ahead of this entity (one
   * that did not answer the locating in time had seen more) moves the seq on past it, so that
   * no seq is given twice.
   */
  private void catchUp(ActorRef<LocalRoom.Command> localRoom, Position at) {
    if (at == null) return;
    if (!at.epoch().equals(epoch)) {
      localRoom.tell(new LocalRoom.CatchUp(epoch, seq, List.of(), List.of(), true, false));
      return;
    }
    if (at.seq() >= seq) {
      seq = lastMessageSeq = at.seq();
      return;
    }
    boolean complete = at.seq() >= lastMessageSeq || history.oldestSeq() <= at.seq() + 1;
    history.forEachPageAfter(at.seq(), System.currentTimeMillis(), settings.replayPageBytes(),
        page -> localRoom.tell(new LocalRoom.CatchUp(epoch, seq, page.seqs(), page.frames(), !page.more(), complete)));
  }

  private Behavior<Command> onAdmit(Admit m) {
    if (namespace == null) {
      m.localRoom().tell(new LocalRoom.Refused(m.joinId(), "unknown namespace"));
    } else if (namespace.name().equals(settings.silentNamespace())) {
      return this; // the test hook chorus.testing.silent-namespace: no answer, ever
    } else if (overCap && members == 0) {
      // A new room on a node that hosts max-rooms already: refused, and this entity stops.
      m.localRoom().tell(new LocalRoom.Refused(m.joinId(), "too many rooms"));
    } else if (members >= namespace.maxMembers()) {
      m.localRoom().tell(new LocalRoom.Refused(m.joinId(), "room full"));
    } else {
      // A room this entity did not know (it did not answer the locating in time) may have members already.
      if (count(m.localRoom()) == 0) catchUp(m.localRoom(), m.roomAt());
      setMembers(m.localRoom(), count(m.localRoom()) + 1);
      admit(m.localRoom(), m.joinId(), m.since());
      if (webhooks != null) webhooks.joined(m.localRoom(), m.userId());
    }
    return settle();
  }

  /**
   * The answer to a join: where the topic stands, and for a join that asks to recover, the
   * frames after its position, from history ({@link RoomHistory#recover} decides). The frames go
   * in pages of at most replay-page-bytes (the first inside {@code Admitted}, the others in
   * {@code ReplayPage}s), all sent now: live deliveries to the room follow them, so replay and
   * live messages meet without gap or duplicate.
   */
  private void admit(ActorRef<LocalRoom.Command> localRoom, long joinId, Position since) {
    Position now = new Position(epoch, seq);
    RoomHistory.Recovery r = history.recover(since, now, System.currentTimeMillis());
    List<List<ByteString>> pages = pages(r.replay(), settings.replayPageBytes());
    localRoom.tell(new LocalRoom.Admitted(joinId, now, r.recovered(), r.reason(), pages.get(0), pages.size() == 1));
    for (int i = 1; i < pages.size(); i++) localRoom.tell(new LocalRoom.ReplayPage(joinId, pages.get(i), i == pages.size() - 1));
  }

  /** {@code frames} cut into pages of at most {@code pageBytes} (a larger frame alone); at least one page. */
  static List<List<ByteString>> pages(List<ByteString> frames, int pageBytes) {
    List<List<ByteString>> pages = new ArrayList<>();
    List<ByteString> page = new ArrayList<>();
    long size = 0;
    for (ByteString f : frames) {
      if (!page.isEmpty() && size + f.size() > pageBytes) {
        pages.add(List.copyOf(page));
        page.clear();
        size = 0;
      }
      page.add(f);
      size += f.size();
    }
    pages.add(List.copyOf(page));
    return pages;
  }

  private int count(ActorRef<LocalRoom.Command> localRoom) {
    return membersByLocalRoom.getOrDefault(localRoom, 0);
  }

  RoomEntity setMembers(ActorRef<LocalRoom.Command> localRoom, int count) {
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
    lastMessageSeq = ++seq;
    // A binary broadcast has no ref slot, so it carries no position (docs/protocol.md §8).
    ByteString frame = m.binary()
        ? WebSocketFrames.binaryBytes(BinaryCodec.encodeBroadcast(topic, m.event(), m.payload()))
        : WebSocketFrames.textBytes(FrameCodec.encode(null, new Position(epoch, seq).ref(), topic, m.event(), m.payload()));
    LocalRoom.Deliver deliver = new LocalRoom.Deliver(seq, frame, Clocks.epochMicros());
    for (ActorRef<LocalRoom.Command> localRoom : membersByLocalRoom.keySet()) {
      localRoom.tell(deliver);
      if (!localRoom.path().address().hasLocalScope()) metrics.crossNodeDeliveries.increment();
    }
    history.remember(seq, frame, System.currentTimeMillis());
    metrics.publishes.increment();
    m.replyTo().tell(new Published(m.ref(), epoch, seq));
    if (webhooks != null) webhooks.published(m.userId(), m.event(), m.payload(), seq);
    return settle();
  }
}
