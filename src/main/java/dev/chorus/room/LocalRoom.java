package dev.chorus.room;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.metrics.Metrics;
import dev.chorus.protocol.Events;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.transport.OutboundQueue;
import dev.chorus.transport.SlowReason;
import dev.chorus.transport.V1Frames;
import dev.chorus.transport.WebSocketFrames;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 *
 * <p>A join waits for its room entity's answer at most {@code chorus.room.join-timeout}; then
 * it is refused ("join timed out") and everything held for it is freed. A recovering join's
 * replay goes to the member's queue at the client's pace: while the queue holds more than
 * {@code chorus.room.replay-window} bytes the rest waits here (in the node's replay budget),
 * and so does what follows it (presence_state, live broadcasts; up to the queue's own byte
 * bound, past which the client is a slow consumer like any other), so a recovery larger than
 * the queue never overflows it.
 */
public final class LocalRoom extends AbstractBehavior<LocalRoom.Command> {

  public sealed interface Command {}

  public record Join(JoinRequest request) implements Command {}

  /**
   * The join is admitted at position {@code at}; {@code recovered} answers a join that asked to
   * recover (null when it did not; {@code reason} says why when false), and {@code replay} holds
   * the first frames it missed, in order; unless {@code last}, {@link ReplayPage}s with the rest
   * follow at once.
   */
  public record Admitted(long joinId, Position at, Boolean recovered, String reason, List<ByteString> replay, boolean last)
      implements Command, CrossNode {
    /** A complete answer in one message. */
    public Admitted(long joinId, Position at, Boolean recovered, List<ByteString> replay) {
      this(joinId, at, recovered, Boolean.FALSE.equals(recovered) ? RoomHistory.GONE : null, replay, true);
    }
  }

  /** More frames of a join's replay, after its {@link Admitted}; {@code last} ends it. */
  public record ReplayPage(long joinId, List<ByteString> frames, boolean last) implements Command, CrossNode {}

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

  /**
   * A restarted room entity takes the topic's history up from this room's copy: answered with
   * {@link RoomEntity.Tail} pages, all sent at once.
   */
  public record SendTail(ActorRef<RoomEntity.Command> entity) implements Command, CrossNode {}

  /**
   * A restarted room entity brings this room up to date: the topic stands at {@code seq} of
   * {@code epoch}, and {@code frames} (with their {@code seqs}) are messages of it this room may
   * have missed, delivered to the members unless already delivered; {@code complete}: they are
   * all the messages after the room's position (seqs without a message between them are none).
   * Pages of one catch-up follow each other; {@code last} ends it. Another epoch than the
   * room's means the topic started afresh: its copy of the history no longer applies.
   */
  public record CatchUp(String epoch, long seq, List<Long> seqs, List<ByteString> frames, boolean last, boolean complete)
      implements Command, CrossNode {}

  private record ChannelStopped(ActorRef<Channel.Command> channel) implements Command {}

  private enum RefreshRegistration implements Command { INSTANCE }

  private record PresenceChanged(TopicPresence.Changed changed) implements Command {}

  /** A pending join had no answer within chorus.room.join-timeout (also the timer's key). */
  private record JoinTimedOut(long joinId) implements Command {}

  /** Look for pending joins to send again (chorus.room.join-retry-interval). */
  private enum RetryJoins implements Command { INSTANCE }

  /** Offer what recovering members' queues can take now. */
  private enum PumpReplays implements Command { INSTANCE }

  /** How often recovering members' queues are looked at while their replays wait. */
  private static final Duration PUMP_INTERVAL = Duration.ofMillis(10);

  /** "recovered": false, the node holds too much replay already (chorus.room.node-replay-max-bytes). */
  static final String NODE_BUSY = "node busy";

  /**
   * A join waiting for the entity's answer, with its presence meta (null: presence off); once
   * the answer's first part has come, {@code admitted} and the replay gathered so far.
   */
  private static final class PendingJoin {
    final JoinRequest request;
    final ObjectNode presenceMeta;
    final Position since;
    final long deadline; // System.nanoTime() when it times out
    long sentAt; // of the latest attempt
    Admitted admitted;
    List<ByteString> replay;

    PendingJoin(JoinRequest request, ObjectNode presenceMeta, Position since, long sentAt, long deadline) {
      this.request = request;
      this.presenceMeta = presenceMeta;
      this.since = since;
      this.sentAt = sentAt;
      this.deadline = deadline;
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * A member; {@code presence} is its entry, null when the namespace has presence off. While it
   * recovers, {@code replay} holds the frames its queue has not taken yet and {@code held} what
   * follows them; both are null once it is live.
   */
  private static final class Member {
    final ActorRef<Channel.Command> channel;
    final OutboundQueue queue;
    final TopicPresence.Entry presence;
    final String userId; // for the entity's user webhooks; null when the namespace sends none
    ArrayDeque<ByteString> replay;
    long replayBytes; // of replay: taken from the node's replay budget
    ArrayDeque<ByteBuf> held;
    long heldBytes;

    Member(ActorRef<Channel.Command> channel, OutboundQueue queue, TopicPresence.Entry presence, String userId) {
      this.userId = userId;
      this.channel = channel;
      this.queue = queue;
      this.presence = presence;
    }
  }

  /**
   * A topic's room on this node; {@code presence} makes the topic's presence given where its
   * changes go, and is null when the namespace has presence off.
   */
  static Behavior<Command> create(
      String topic,
      EntityRef<RoomEntity.Command> entity,
      ActorRef<LocalRooms.Command> parent,
      RoomSettings settings,
      NodeRooms node,
      Metrics metrics,
      Namespace namespace,
      Function<ActorRef<TopicPresence.Changed>, TopicPresence> presence) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new LocalRoom(ctx, timers, topic, entity, parent, settings, node, metrics, namespace, presence)));
  }

  private final String topic;
  private final EntityRef<RoomEntity.Command> entity;
  private final ActorRef<LocalRooms.Command> parent;
  private final RoomSettings settings;
  private final NodeRooms node;
  private final Metrics metrics;
  private final TimerScheduler<Command> timers;
  private final TopicPresence presence;
  /**
   * This node's copy of the topic's history: every message it delivered, bounded like the
   * entity's own (the namespace's history bounds, in the node's history budget). Should the
   * entity's node die, the entity that replaces it takes the history up from here.
   */
  private final RoomHistory copy;
  /** Where the topic stands as this room saw it last: null until its first join was admitted. */
  private String epoch;
  private long seq;
  private final ArrayList<Member> members = new ArrayList<>();
  private final Map<Long, PendingJoin> pending = new HashMap<>();
  private long joinCounter;
  /** When a message of the room's entity last came (an answer, a broadcast, a locate). */
  private long heardFromEntity = System.nanoTime();
  private int recovering; // members whose replay is not all queued yet
  private static final int MAX_RETIRED_JOINS = 1024;
  private final Map<Long, String> retiredJoins = new LinkedHashMap<>() {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, String> eldest) {
      return size() > MAX_RETIRED_JOINS;
    }
  };
  /** The namespace sends user_joined or user_left: the entity is told each member's user. */
  private final boolean userWebhooks;
  private int v1Members; // members whose connection speaks V1 (vsn=1.0.0): broadcasts are rendered once more for them

  private LocalRoom(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      String topic,
      EntityRef<RoomEntity.Command> entity,
      ActorRef<LocalRooms.Command> parent,
      RoomSettings settings,
      NodeRooms node,
      Metrics metrics,
      Namespace namespace,
      Function<ActorRef<TopicPresence.Changed>, TopicPresence> presence) {
    super(ctx);
    this.copy = namespace == null
        ? RoomHistory.none()
        : new RoomHistory(namespace.historySize(), namespace.historyTtl(), namespace.historyMaxBytes(), node.history);
    this.topic = topic;
    this.userWebhooks = namespace != null && namespace.webhooks().users();
    this.entity = entity;
    this.parent = parent;
    this.settings = settings;
    this.node = node;
    this.metrics = metrics;
    this.timers = timers;
    this.presence = presence == null ? null : presence.apply(ctx.messageAdapter(TopicPresence.Changed.class, PresenceChanged::new));
    timers.startTimerWithFixedDelay(RefreshRegistration.INSTANCE, settings.registrationRefresh());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Deliver.class, this::onDeliver)
        .onMessage(Join.class, this::onJoin)
        .onMessage(Admitted.class, this::onAdmitted)
        .onMessage(ReplayPage.class, this::onReplayPage)
        .onMessage(Refused.class, this::onRefused)
        .onMessage(JoinTimedOut.class, this::onJoinTimedOut)
        .onMessageEquals(RetryJoins.INSTANCE, this::onRetryJoins)
        .onMessageEquals(PumpReplays.INSTANCE, this::onPumpReplays)
        .onMessage(Leave.class, this::onLeave)
        .onMessage(ChannelStopped.class, this::onChannelStopped)
        .onMessageEquals(RefreshRegistration.INSTANCE, this::onRefresh)
        .onMessage(PresenceChanged.class, this::onPresenceChanged)
        .onMessage(Locate.class, this::onLocate)
        .onMessage(SendTail.class, this::onSendTail)
        .onMessage(CatchUp.class, this::onCatchUp)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onDeliver(Deliver m) {
    heardFromEntity = System.nanoTime();
    if (!advanceTo(m.seq(), m.frame())) return this;
    deliverToMembers(m.frame());
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
    long now = System.nanoTime();
    if (pending.isEmpty()) timers.startTimerWithFixedDelay(RetryJoins.INSTANCE, settings.joinRetryInterval());
    pending.put(joinId, new PendingJoin(m.request(), presenceMeta, since, now, now + settings.joinTimeout().toNanos()));
    timers.startSingleTimer(new JoinTimedOut(joinId), new JoinTimedOut(joinId), settings.joinTimeout());
    entity.tell(new RoomEntity.Admit(getContext().getSelf(), joinId, since, position(), userOf(m.request())));
    return this;
  }

  /**
   * While the cluster's membership is unsettled ({@link NodeRooms#membershipUnsettled}: a node
   * unreachable, or lost within the join timeout), sends again the pending joins whose answer
   * has not begun, when the entity has been silent for a retry interval (and the join
   * unanswered as long), or at once when {@code force} (a new incarnation of the entity located
   * this room: whatever was sent to the old one may be lost).
   * Each attempt has its own join id; the answers to earlier ones are late answers
   * ({@link #lateAnswer}), so the entity never counts the member twice.
   */
  private void retryJoins(boolean force) {
    if (!node.membershipUnsettled()) return; // nothing was lost: a slow answer is a busy entity's
    long now = System.nanoTime();
    long interval = settings.joinRetryInterval().toNanos();
    if (!force && now - heardFromEntity < interval) return;
    for (Long joinId : List.copyOf(pending.keySet())) {
      PendingJoin p = pending.get(joinId);
      if (p.admitted != null || (!force && now - p.sentAt < interval) || now >= p.deadline) continue;
      pending.remove(joinId);
      retire(joinId, p);
      timers.cancel(new JoinTimedOut(joinId));
      long again = ++joinCounter;
      p.sentAt = now;
      pending.put(again, p);
      timers.startSingleTimer(new JoinTimedOut(again), new JoinTimedOut(again), Duration.ofNanos(p.deadline - now));
      metrics.joinRetries.increment(); // before the send, so whoever sees the retry sees it counted
      entity.tell(new RoomEntity.Admit(getContext().getSelf(), again, p.since, position(), userOf(p.request)));
    }
  }

  private Behavior<Command> onRetryJoins() {
    if (pending.isEmpty()) {
      timers.cancel(RetryJoins.INSTANCE);
    } else {
      retryJoins(false);
    }
    return this;
  }

  /** A starting entity asks where its members are: it is a new incarnation, which never got what is pending. */
  private Behavior<Command> onLocate(Locate m) {
    heardFromEntity = System.nanoTime();
    m.entity().tell(new RoomEntity.Located(m.node(), getContext().getSelf(), members.size(), position(), copy.oldestSeq(), users()));
    retryJoins(true);
    return this;
  }

  /**
   * Whether the message {@code seq} is new here: false for one delivered already (a restarted
   * entity's catch-up and its predecessor's last broadcasts may cross). A new one goes into the
   * copy of the history. (Seqs may skip: a restarted entity moves the seq on; a copy that
   * missed messages is cleared where that is learned: {@link #startAt}, {@link #onCatchUp}.)
   */
  private boolean advanceTo(long seq, ByteString frame) {
    if (epoch != null && seq <= this.seq) return false;
    this.seq = seq;
    copy.remember(seq, frame, System.currentTimeMillis());
    return true;
  }

  /**
   * A join was admitted at {@code at}: the room's position, unless it is there already. A new
   * epoch (the topic started afresh) makes the copy of the history void.
   */
  private void startAt(Position at) {
    if (epoch == null || !epoch.equals(at.epoch())) {
      if (epoch != null) restartedUnderMembers();
      copy.clear();
      epoch = at.epoch();
      seq = at.seq();
    } else if (at.seq() > seq) {
      copy.clear(); // it had missed messages: a copy with a gap would replay wrongly
      seq = at.seq();
    }
  }

  /**
   * The topic started afresh (another epoch) while this room had members in the old one: its
   * entity started without word from this node (the node did not answer the locating in time,
   * or was not listed yet), and may have sequenced messages they never got. Going on in the new
   * epoch would hide that; so each member's join ends with phx_error, as a failed channel's
   * does, and phoenix.js rejoins with its since and is answered "recovered": false (room
   * restarted).
   */
  private void restartedUnderMembers() {
    if (members.isEmpty()) return;
    getContext().getLog().info("{}: the topic restarted in another epoch under {} members here, whose joins end with phx_error",
        topic, members.size());
    for (Member member : List.copyOf(members)) getContext().stop(member.channel);
  }

  /** Where the topic stands as this room saw it last; null before its first join was admitted. */
  private Position position() {
    return epoch == null ? null : new Position(epoch, seq);
  }

  private Behavior<Command> onSendTail(SendTail m) {
    copy.forEachPageAfter(-1, System.currentTimeMillis(), settings.replayPageBytes(),
        page -> m.entity().tell(new RoomEntity.Tail(page.seqs(), page.frames(), page.more())));
    return this;
  }

  /** A restarted entity's catch-up: what this room missed goes to the members, in order, once. */
  private Behavior<Command> onCatchUp(CatchUp m) {
    heardFromEntity = System.nanoTime();
    if (epoch == null || !epoch.equals(m.epoch())) {
      startAt(new Position(m.epoch(), m.seq())); // the topic started afresh
      return this;
    }
    for (int i = 0; i < m.seqs().size(); i++) {
      ByteString frame = m.frames().get(i);
      if (advanceTo(m.seqs().get(i), frame)) deliverToMembers(frame);
    }
    if (m.last()) {
      if (!m.complete()) {
        // Messages the entity had no copy of either: the members miss them (logged to explain),
        // and this room's copy, with a gap, must not serve a recovery.
        getContext().getLog().warn("{}: caught up to {} with messages after {} unknown", topic, m.seq(), seq);
        copy.clear();
      }
      seq = Math.max(seq, m.seq());
    }
    return this;
  }

  private Behavior<Command> onAdmitted(Admitted m) {
    heardFromEntity = System.nanoTime();
    startAt(m.at());
    PendingJoin p = pending.get(m.joinId());
    if (p == null || p.admitted != null) return lateAnswer(m.joinId(), m.last());
    p.admitted = m;
    p.replay = m.last() ? m.replay() : new ArrayList<>(m.replay());
    if (m.last()) admit(m.joinId(), p);
    return this;
  }

  private Behavior<Command> onReplayPage(ReplayPage m) {
    heardFromEntity = System.nanoTime();
    PendingJoin p = pending.get(m.joinId());
    if (p == null || p.admitted == null) return lateAnswer(m.joinId(), m.last());
    p.replay.addAll(m.frames());
    if (m.last()) admit(m.joinId(), p);
    return this;
  }

  /**
   * The entity's answer to a join that is no longer pending here (it timed out): the entity
   * counted it as a member, so once its answer is complete the room tells it the member is gone.
   */
  private Behavior<Command> lateAnswer(long joinId, boolean last) {
    if (last) entity.tell(new RoomEntity.MemberLeft(getContext().getSelf(), retiredJoins.remove(joinId)));
    return this;
  }

  /**
   * A join id this room stopped waiting for (sent again under another id, or timed out), with
   * its user, where the namespace sends user webhooks: the entity's late answer to it is taken
   * back as that user's member. At most {@link #MAX_RETIRED_JOINS}: past that, or if the answer
   * never comes, the entity learns the users right from the room's next registration.
   */
  private void retire(long joinId, PendingJoin p) {
    if (userWebhooks) retiredJoins.put(joinId, userOf(p.request));
  }

  /** The whole answer to a join is here: the member is added and its reply queued. */
  private void admit(long joinId, PendingJoin p) {
    pending.remove(joinId);
    timers.cancel(new JoinTimedOut(joinId));
    Admitted m = p.admitted;
    JoinRequest r = p.request;
    List<ByteString> replay = p.replay;
    Boolean recovered = m.recovered();
    String reason = m.reason();
    long replayBytes = 0;
    for (ByteString f : replay) replayBytes += f.size();
    boolean paced = false;
    if (!replay.isEmpty() && r.queue().queuedBytes() + replayBytes > settings.replayWindowBytes()) {
      // More than the queue should take at once: the rest waits here, if the node has room.
      paced = node.reserveReplay(replayBytes);
      if (!paced) {
        recovered = false;
        reason = NODE_BUSY;
        replay = List.of();
      }
    }
    ActorRef<Channel.Command> channel = getContext().spawnAnonymous(Channel.create(topic, r, entity, getContext().getSelf(), settings, metrics));
    getContext().watchWith(channel, new ChannelStopped(channel));
    TopicPresence.Entry entry = presence == null ? null : presence.track(r.connect().userId(), p.presenceMeta,
        r.connect().identity() == null ? null : r.connect().identity().presenceMeta());
    Member member = new Member(channel, r.queue(), entry, userOf(r));
    members.add(member);
    if (r.queue().speaksV1()) v1Members++;
    metrics.joins.increment();
    if (Boolean.FALSE.equals(recovered)) metrics.recoveryRefused(reason == null ? "unknown" : reason);
    // Queued here, before any later Deliver, so the client sees its join reply first, then its
    // replay, then its presence state.
    r.queue().offer(WebSocketFrames.text(FrameCodec.replyOk(r.joinRef(), r.ref(), topic, joinResponse(m.at(), recovered, reason, r.hookReply()))));
    ByteBuf state = entry == null ? null : presence.frameForJoin(r.joinRef(), entry);
    if (paced) {
      member.replay = new ArrayDeque<>(replay);
      member.replayBytes = replayBytes;
      member.held = new ArrayDeque<>();
      if (recovering++ == 0) timers.startTimerWithFixedDelay(PumpReplays.INSTANCE, PUMP_INTERVAL);
      if (state == null || hold(member, state)) pump(member);
    } else {
      for (ByteString frame : replay) r.queue().offer(WebSocketFrames.toBuf(frame));
      if (state != null) r.queue().offer(state);
    }
    r.replyTo().tell(new JoinRequest.Accepted(topic, r.joinRef(), channel));
  }

  /**
   * {"epoch": "...", "seq": n} and, for a join that asked to recover, "recovered": bool, with
   * the reason when false; then the join hook's fields, if any (rendered without these keys).
   */
  private static ByteString joinResponse(Position at, Boolean recovered, String reason, String hookReply) {
    String json = "{\"epoch\":\"" + at.epoch() + "\",\"seq\":" + at.seq()
        + (recovered == null ? "" : ",\"recovered\":" + recovered)
        + (Boolean.FALSE.equals(recovered) && reason != null ? ",\"reason\":\"" + reason + "\"" : "")
        + (hookReply == null || hookReply.length() <= 2 ? "}" : "," + hookReply.substring(1));
    return ByteString.fromString(json);
  }

  private Behavior<Command> onRefused(Refused m) {
    heardFromEntity = System.nanoTime();
    PendingJoin p = pending.remove(m.joinId());
    if (p != null) {
      timers.cancel(new JoinTimedOut(m.joinId()));
      refuse(p.request, m.reason());
    }
    return this;
  }

  private Behavior<Command> onJoinTimedOut(JoinTimedOut m) {
    PendingJoin p = pending.remove(m.joinId());
    if (p != null) {
      retire(m.joinId(), p);
      refuse(p.request, "join timed out");
    }
    return this;
  }

  private void refuse(JoinRequest r, String reason) {
    metrics.joinRefused(reason);
    r.queue().offer(WebSocketFrames.text(FrameCodec.replyError(r.joinRef(), r.ref(), topic, reason)));
    r.replyTo().tell(new JoinRequest.Refused(topic, r.joinRef()));
    parent.tell(new LocalRooms.MemberGone(topic));
  }

  private Behavior<Command> onPresenceChanged(PresenceChanged m) {
    ByteBuf frame = presence.onChanged(m.changed());
    if (frame != null) offerToAll(frame);
    return this;
  }

  /** A broadcast frame to every member, counted as delivered or dropped. */
  private void deliverToMembers(ByteString frame) {
    int dropped = offerToAll(WebSocketFrames.toBuf(frame));
    metrics.deliveries.add(members.size() - dropped);
    if (dropped > 0) metrics.deliveriesDropped.add(dropped);
  }

  /**
   * Offers one rendered frame to every member: each queue gets a retained duplicate of the same
   * buffer (a reference, never a copy), and the room's own reference is released after. Returns
   * how many members' queues refused it (closing connections). Members that speak V1 share one
   * V1 rendering of it instead, made at the first of them: never in a room without one.
   */
  private int offerToAll(ByteBuf frame) {
    int dropped = 0;
    ByteBuf v1 = null;
    try {
      for (int i = 0, n = members.size(); i < n; i++) {
        Member m = members.get(i);
        ByteBuf shared = frame;
        if (v1Members > 0 && m.queue.speaksV1()) shared = v1 == null ? (v1 = renderV1(frame)) : v1;
        if (!(m.replay == null ? m.queue.offer(shared.retainedDuplicate()) : hold(m, shared.retainedDuplicate()))) dropped++;
      }
    } finally {
      frame.release();
      if (v1 != null) v1.release();
    }
    return dropped;
  }

  private ByteBuf renderV1(ByteBuf frame) {
    metrics.v1Renders.increment();
    return V1Frames.render(frame);
  }

  /**
   * Keeps a frame for a recovering member, behind its replay; false (the frame released) when
   * that passes the queue's byte bound: the client does not keep up, and is closed as a slow
   * consumer, as its queue would have closed it.
   */
  private boolean hold(Member m, ByteBuf frame) {
    m.held.addLast(frame);
    m.heldBytes += frame.readableBytes();
    if (m.heldBytes <= settings.replayHoldBytes()) return true;
    endReplay(m);
    m.queue.closeSlow(SlowReason.QUEUE_FULL); // counted by reason, like the queue's own overflow
    return false;
  }

  /** Offers a recovering member's waiting frames while its queue holds less than replay-window. */
  private void pump(Member m) {
    while (!m.replay.isEmpty()) {
      ByteString f = m.replay.peekFirst();
      if (!roomFor(m.queue, f.size())) return;
      m.replay.pollFirst();
      m.replayBytes -= f.size();
      node.releaseReplay(f.size());
      if (!m.queue.offer(WebSocketFrames.toBuf(f))) {
        endReplay(m); // the connection is closing
        return;
      }
    }
    while (!m.held.isEmpty()) {
      ByteBuf b = m.held.peekFirst();
      if (!roomFor(m.queue, b.readableBytes())) return;
      m.held.pollFirst();
      m.heldBytes -= b.readableBytes();
      if (!m.queue.offer(b)) {
        endReplay(m);
        return;
      }
    }
    endReplay(m); // all queued: the member is live
  }

  private boolean roomFor(OutboundQueue queue, int bytes) {
    long queued = queue.queuedBytes();
    return queued == 0 || queued + bytes <= settings.replayWindowBytes();
  }

  /** The member is live (or gone): what still waits for it is freed. */
  private void endReplay(Member m) {
    if (m.replay == null) return;
    node.releaseReplay(m.replayBytes);
    ByteBuf b;
    while ((b = m.held.pollFirst()) != null) b.release();
    m.replay = null;
    m.held = null;
    m.replayBytes = 0;
    m.heldBytes = 0;
    if (--recovering == 0) timers.cancel(PumpReplays.INSTANCE);
  }

  private Behavior<Command> onPumpReplays() {
    for (int i = 0; i < members.size(); i++) {
      Member m = members.get(i);
      if (m.replay != null) pump(m);
    }
    return this;
  }

  private Behavior<Command> onLeave(Leave m) {
    Member member = remove(m.channel());
    if (member == null) return this;
    if (m.ref() != null) member.queue.offer(WebSocketFrames.text(FrameCodec.replyOk(m.joinRef(), m.ref(), topic)));
    member.queue.offer(WebSocketFrames.text(FrameCodec.joinEvent(m.joinRef(), topic, Events.CLOSE)));
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
      if (member.channel.equals(channel)) {
        members.remove(i);
        if (member.queue.speaksV1()) v1Members--;
        endReplay(member);
        if (member.presence != null) presence.untrack(member.presence);
        entity.tell(new RoomEntity.MemberLeft(getContext().getSelf(), member.userId));
        parent.tell(new LocalRooms.MemberGone(topic));
        return member;
      }
    }
    return null;
  }

  /** The member's user, when the namespace sends user webhooks (the entity counts users); else null. */
  private String userOf(JoinRequest r) {
    return userWebhooks ? r.connect().userId() : null;
  }

  /**
   * Connections per user of the members, for the entity's user webhooks (it rebuilds its counts
   * from them when it restarts); null when the namespace sends none. At most max-members entries.
   */
  private Map<String, Integer> users() {
    if (!userWebhooks) return null;
    Map<String, Integer> users = new HashMap<>();
    for (Member m : members) users.merge(m.userId, 1, Integer::sum);
    return users;
  }

  private Behavior<Command> onRefresh() {
    entity.tell(new RoomEntity.Register(getContext().getSelf(), members.size(), position(), users()));
    return this;
  }

  private Behavior<Command> onPostStop() {
    entity.tell(new RoomEntity.Register(getContext().getSelf(), 0));
    copy.close();
    for (Member member : members) endReplay(member);
    if (presence != null) {
      for (Member member : members) presence.untrack(member.presence);
      presence.close();
    }
    return this;
  }
}
