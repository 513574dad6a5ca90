package dev.chorus.room;

import dev.chorus.ops.Metrics;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The node's local rooms: one {@link LocalRoom} child per topic with members on this node,
 * created by the first join and stopped when its last member has gone.
 *
 * <p>It counts members itself (a join counts from the moment it is forwarded), so it never
 * stops a room that a join is on its way to.
 */
public final class LocalRooms extends AbstractBehavior<LocalRooms.Command> {

  public sealed interface Command {}

  public record Join(JoinRequest request) implements Command {}

  /** A member of that topic's local room has gone (left, refused, or its connection ended). */
  public record MemberGone(String topic) implements Command {}

  /** How many local rooms and members this node holds. */
  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  public record Stats(int rooms, int members) {}

  private static final class Entry {
    final ActorRef<LocalRoom.Command> room;
    int members;

    Entry(ActorRef<LocalRoom.Command> room) {
      this.room = room;
    }
  }

  public static Behavior<Command> create(
      ClusterSharding sharding, RoomSettings settings, Metrics metrics) {
    return Behaviors.setup(ctx -> new LocalRooms(ctx, sharding, settings, metrics));
  }

  private final ClusterSharding sharding;
  private final RoomSettings settings;
  private final Metrics metrics;
  private final Map<String, Entry> rooms = new HashMap<>();
  private long roomCounter;

  private LocalRooms(ActorContext<Command> ctx, ClusterSharding sharding, RoomSettings settings, Metrics metrics) {
    super(ctx);
    this.sharding = sharding;
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Join.class, this::onJoin)
        .onMessage(MemberGone.class, this::onMemberGone)
        .onMessage(GetStats.class, this::onGetStats)
        .build();
  }

  private Behavior<Command> onJoin(Join m) {
    String topic = m.request().topic().toString();
    Entry entry = rooms.computeIfAbsent(topic, t -> new Entry(getContext().spawn(
        LocalRoom.create(t, sharding.entityRefFor(RoomEntity.TYPE_KEY, t), getContext().getSelf(), settings, metrics),
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

  private Behavior<Command> onGetStats(GetStats m) {
    int members = 0;
    for (Entry e : rooms.values()) members += e.members;
    m.replyTo().tell(new Stats(rooms.size(), members));
    return this;
  }
}
