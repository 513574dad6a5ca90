package dev.chorus.room;

import dev.chorus.metrics.Metrics;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The node's local rooms: one {@link LocalRoom} child per topic with members on this node,
 * created by the first join and stopped when its last member has gone.
 *
 * <p>It counts members itself (a join counts from the moment it is forwarded), so it never
 * stops a room that a join is on its way to.
 *
 * <p>Every node's LocalRooms is registered with the receptionist under {@link #SERVICE_KEY}: a
 * room entity that starts (first join, or moved after a node joined or died) asks each of them
 * where the topic's members are, and the admin API asks them for their largest rooms.
 */
public final class LocalRooms extends AbstractBehavior<LocalRooms.Command> {

  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "chorus-local-rooms");

  public sealed interface Command {}

  public record Join(JoinRequest request) implements Command {}

  /** A member of that topic's local room has gone (left, refused, or its connection ended). */
  public record MemberGone(String topic) implements Command {}

  /** A starting room entity asks whether this node holds members of {@code topic}. */
  public record Locate(String topic, ActorRef<RoomEntity.Command> entity) implements Command, CrossNode {}

  /** The admin API asks for this node's largest local rooms (and its counts of rooms and members). */
  public record GetLargest(int limit, ActorRef<Largest> replyTo) implements Command, CrossNode {}

  public record Largest(String node, int rooms, int members, List<RoomSize> largest) implements CrossNode {}

  public record RoomSize(String topic, int members) {}

  /** The admin API's topic inspector asks how many members of {@code topic} this node holds. */
  public record GetMembers(String topic, ActorRef<TopicMembers> replyTo) implements Command, CrossNode {}

  /** {@code members} is 0 where the node has no room of the topic. */
  public record TopicMembers(String node, String topic, int members) implements CrossNode {}

  /**
   * The API asks for this node's topics with local members whose names start with {@code prefix}
   * and come after {@code after} (in String order, the cursor of GET /api/topics): the first
   * {@code limit}, and whether there are more.
   */
  public record ListTopics(String prefix, String after, int limit, ActorRef<TopicPage> replyTo) implements Command, RoomQuery {}

  public record TopicPage(String node, List<RoomSize> topics, boolean more) implements RoomQuery {}

  /** A reachability or membership event of the cluster. */
  private record MembershipChanged(ClusterEvent.ClusterDomainEvent event) implements Command {}

  private static final class Entry {
    final ActorRef<LocalRoom.Command> room;
    int members;

    Entry(ActorRef<LocalRoom.Command> room) {
      this.room = room;
    }
  }

  public static Behavior<Command> create(
      ClusterSharding sharding, RoomSettings settings, NodeRooms node, Metrics metrics, TopicPresence.Factory presence) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
      Cluster cluster = Cluster.get(ctx.getSystem());
      cluster.subscriptions().tell(Subscribe.create(
          ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, MembershipChanged::new), ClusterEvent.ReachabilityEvent.class));
      cluster.subscriptions().tell(Subscribe.create(
          ctx.messageAdapter(ClusterEvent.MemberEvent.class, MembershipChanged::new), ClusterEvent.MemberEvent.class));
      return new LocalRooms(ctx, sharding, settings, node, metrics, presence);
    });
  }

  private final ClusterSharding sharding;
  private final RoomSettings settings;
  private final NodeRooms node;
  private final Metrics metrics;
  private final TopicPresence.Factory presence;
  private final Map<String, Entry> rooms = new HashMap<>();
  private long roomCounter;
  private final Set<UniqueAddress> unreachable = new HashSet<>();

  private LocalRooms(
      ActorContext<Command> ctx, ClusterSharding sharding, RoomSettings settings, NodeRooms node, Metrics metrics,
      TopicPresence.Factory presence) {
    super(ctx);
    this.sharding = sharding;
    this.settings = settings;
    this.node = node;
    this.metrics = metrics;
    this.presence = presence;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Join.class, this::onJoin)
        .onMessage(MemberGone.class, this::onMemberGone)
        .onMessage(Locate.class, this::onLocate)
        .onMessage(GetLargest.class, this::onGetLargest)
        .onMessage(ListTopics.class, this::onListTopics)
        .onMessage(GetMembers.class, this::onGetMembers)
        .onMessage(MembershipChanged.class, this::onMembershipChanged)
        .build();
  }

  /** Tells the node's rooms whether joins may have been lost with a member ({@link NodeRooms#membershipUnsettled}). */
  private Behavior<Command> onMembershipChanged(MembershipChanged m) {
    if (m.event() instanceof ClusterEvent.UnreachableMember u) {
      unreachable.add(u.member().uniqueAddress());
    } else if (m.event() instanceof ClusterEvent.ReachableMember r) {
      unreachable.remove(r.member().uniqueAddress());
    } else if (m.event() instanceof ClusterEvent.MemberDowned || m.event() instanceof ClusterEvent.MemberRemoved) {
      unreachable.remove(((ClusterEvent.MemberEvent) m.event()).member().uniqueAddress());
      node.memberLost();
    }
    node.unreachableMembers(unreachable.size());
    return this;
  }

  private Behavior<Command> onJoin(Join m) {
    String topic = m.request().topic().toString();
    Namespace namespace = m.request().namespace();
    Entry entry = rooms.computeIfAbsent(topic, t -> new Entry(getContext().spawn(
        LocalRoom.create(t, sharding.entityRefFor(RoomEntity.TYPE_KEY, t), getContext().getSelf(), settings, node, metrics, namespace,
            namespace.presence()
                ? changes -> presence.forTopic(t, namespace.presenceListLimit(), changes)
                : null),
        // topics may hold any character; the counter keeps actor names valid and unique
        "room-" + (++roomCounter))));
    metrics.roomResized(entry.members, ++entry.members);
    entry.room.tell(new LocalRoom.Join(m.request()));
    return this;
  }

  private Behavior<Command> onMemberGone(MemberGone m) {
    Entry entry = rooms.get(m.topic());
    if (entry == null) return this;
    metrics.roomResized(entry.members, --entry.members);
    if (entry.members <= 0) {
      rooms.remove(m.topic());
      getContext().stop(entry.room);
    }
    return this;
  }

  private Behavior<Command> onLocate(Locate m) {
    Entry entry = rooms.get(m.topic());
    if (entry == null) {
      m.entity().tell(new RoomEntity.Located(getContext().getSelf(), null, 0));
    } else {
      // The room answers: it knows its admitted members; a join still pending here is counted
      // by the entity when its Admit arrives.
      entry.room.tell(new LocalRoom.Locate(m.entity(), getContext().getSelf()));
    }
    return this;
  }

  private Behavior<Command> onGetLargest(GetLargest m) {
    List<RoomSize> largest = rooms.entrySet().stream()
        .map(e -> new RoomSize(e.getKey(), e.getValue().members))
        .sorted(Comparator.comparingInt(RoomSize::members).reversed().thenComparing(RoomSize::topic))
        .limit(Math.max(0, m.limit()))
        .toList();
    String node = getContext().getSystem().address().toString();
    m.replyTo().tell(new Largest(node, rooms.size(), memberCount(), largest));
    return this;
  }

  private Behavior<Command> onGetMembers(GetMembers m) {
    Entry entry = rooms.get(m.topic());
    m.replyTo().tell(new TopicMembers(getContext().getSystem().address().toString(), m.topic(), entry == null ? 0 : entry.members));
    return this;
  }

  /** Sorts this node's matching rooms (at most chorus.room.max-rooms): rare, and bounded by that. */
  private Behavior<Command> onListTopics(ListTopics m) {
    List<RoomSize> page = rooms.entrySet().stream()
        .filter(e -> e.getValue().members > 0 && e.getKey().startsWith(m.prefix()) && e.getKey().compareTo(m.after()) > 0)
        .map(e -> new RoomSize(e.getKey(), e.getValue().members))
        .sorted(Comparator.comparing(RoomSize::topic))
        .limit(Math.max(0, m.limit()) + 1L)
        .toList();
    boolean more = page.size() > m.limit();
    m.replyTo().tell(new TopicPage(getContext().getSystem().address().toString(),
        more ? page.subList(0, m.limit()) : page, more));
    return this;
  }

  private int memberCount() {
    int members = 0;
    for (Entry e : rooms.values()) members += e.members;
    return members;
  }
}
