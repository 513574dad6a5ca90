package dev.chorus.presence;

import dev.chorus.metrics.Metrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import dev.chorus.room.TopicPresence;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.ORMultiMap;
import org.apache.pekko.cluster.ddata.ORMultiMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The node's replica of presence, one actor per node. Presence is soft state in Pekko
 * Distributed Data: {@code buckets} top-level keys, each an observed-remove multi-map
 * topic → entries ({@link PresenceEntry#encode}), a topic always in bucket
 * {@code hash(topic) % buckets}; updates are written locally and spread by delta gossip.
 *
 * <p>Local rooms {@link Watch} their topic. The replica follows every bucket (subscribed), keeps
 * each watched topic's current entries, and every {@code interval} sends a room one
 * {@link Changed} with what changed since the last one ({@link TopicChanges}): joins and leaves
 * of a burst go out as one diff, and a join and its leave inside one interval as none. Entries of nodes that are not (or
 * no longer) cluster members are left out at once, and removed from the data when a member
 * is removed.
 */
public final class PresenceReplica extends AbstractBehavior<PresenceReplica.Command> {

  public sealed interface Command {}

  /** Adds a join's entry to the topic's presence. */
  public record Track(String topic, PresenceEntry entry) implements Command {}

  /** Removes it. */
  public record Untrack(String topic, PresenceEntry entry) implements Command {}

  /** A local room follows the topic: it gets the present entries now, then a diff per interval. */
  public record Watch(String topic, ActorRef<Changed> room) implements Command {}

  public record Unwatch(String topic, ActorRef<Changed> room) implements Command {}

  /** The topic's present entries (for the HTTP API). */
  public record Get(String topic, ActorRef<List<PresenceEntry>> replyTo) implements Command {}

  /** What changed in a watched topic since the last message. */
  public record Changed(String topic, PresenceDiff diff) implements TopicPresence.Changed {}

  /** The {@code chorus.presence} settings. */
  public record Settings(Duration interval, int buckets, Duration writeInterval) {}

  private record BucketChanged(int bucket, ORMultiMap<String, String> data) implements Command {}

  private record Updated(Replicator.UpdateResponse<ORMultiMap<String, String>> response) implements Command {}

  private record MembershipChanged(ClusterEvent.MemberEvent event) implements Command {}

  private enum Flush implements Command { INSTANCE }

  /** Time to write the tracks and untracks gathered since the last time (writeInterval). */
  private enum WriteBatch implements Command { INSTANCE }

  /** A track (add) or untrack of one entry, waiting for its bucket's next write. */
  private record Write(String topic, String element, boolean add) {}

  /** A watched topic: its bucket, its room, and what the room has been told and will be. */
  private record View(int bucket, ActorRef<Changed> room, TopicChanges changes, Decoded decoded) {}

  /**
   * A watched topic's entries as last decoded, by their replicated element: a refresh decodes
   * only the elements that are new since, and the entries the room was told and the current
   * ones are the same objects rather than a copy each (memory per connection, CPU per join).
   */
  private static final class Decoded {
    Map<String, PresenceEntry> byElement = Map.of();
  }

  public static Behavior<Command> create(Settings settings, Metrics metrics) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Flush.INSTANCE, settings.interval());
      timers.startTimerWithFixedDelay(WriteBatch.INSTANCE, settings.writeInterval());
      return DistributedData.<Command, ORMultiMap<String, String>>withReplicatorMessageAdapter(
          replicator -> new PresenceReplica(ctx, replicator, settings, metrics));
    }));
  }

  private final ReplicatorMessageAdapter<Command, ORMultiMap<String, String>> replicator;
  private final List<Key<ORMultiMap<String, String>>> keys = new ArrayList<>();
  private final SelfUniqueAddress self;
  private final String selfNode;
  private final Metrics metrics;
  private final Map<Integer, ORMultiMap<String, String>> buckets = new HashMap<>();
  private final Map<String, View> views = new HashMap<>();
  /** Tracks and untracks not written yet, by bucket, in the order they came. */
  private final Map<Integer, List<Write>> unwritten = new HashMap<>();
  /**
   * This node's own entries by their replicated element: when the element comes back from the
   * data, the entry is the one tracked, not a decoded copy (that copy and its four strings were
   * ~250 bytes a connection).
   */
  private final Map<String, PresenceEntry> ownByElement = new HashMap<>();
  /**
   * Entries per bucket as last counted for chorus_presence_entries, and the buckets changed
   * since: counted again at the next flush, not at every change (counting walks the whole
   * bucket, and a join storm changes a bucket many times a second: 3% of a core).
   */
  private final Map<Integer, Long> counted = new HashMap<>();
  private final Set<Integer> uncounted = new HashSet<>();
  /** Nodes that are members and not down: only their entries are present. */
  private final Set<String> liveNodes = new HashSet<>();

  private PresenceReplica(
      ActorContext<Command> ctx,
      ReplicatorMessageAdapter<Command, ORMultiMap<String, String>> replicator,
      Settings settings,
      Metrics metrics) {
    super(ctx);
    this.replicator = replicator;
    this.metrics = metrics;
    this.self = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    this.selfNode = nodeId(self.uniqueAddress());
    for (int i = 0; i < settings.buckets(); i++) {
      Key<ORMultiMap<String, String>> key = ORMultiMapKey.create(KEY_PREFIX + i);
      keys.add(key);
      // One response adapter serves every subscription (typed message adapters are per class),
      // so the bucket is read from the key in the response, not from this loop.
      replicator.subscribe(key, rsp -> rsp instanceof Replicator.Changed<ORMultiMap<String, String>> c
          ? new BucketChanged(bucketOfKey(rsp.key().id()), c.dataValue())
          : new BucketChanged(bucketOfKey(rsp.key().id()), ORMultiMap.emptyWithValueDeltas()));
    }
    Cluster cluster = Cluster.get(ctx.getSystem());
    cluster.subscriptions().tell(Subscribe.create(
        ctx.messageAdapter(ClusterEvent.MemberEvent.class, MembershipChanged::new), ClusterEvent.MemberEvent.class));
    liveNodes.add(selfNode); // this node serves its own joins from the start, member yet or not
  }

  /** How a node is named in entries: its address and incarnation. */
  public static String nodeId(UniqueAddress node) {
    return node.address() + "#" + node.longUid();
  }

  private static final String KEY_PREFIX = "chorus-presence-";

  private static int bucketOfKey(String keyId) {
    return Integer.parseInt(keyId.substring(KEY_PREFIX.length()));
  }

  public static int bucketOf(String topic, int buckets) {
    return Math.floorMod(topic.hashCode() * 0x9E3779B9, buckets);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Track.class, this::onTrack)
        .onMessage(Untrack.class, this::onUntrack)
        .onMessageEquals(WriteBatch.INSTANCE, this::writeBatch)
        .onMessage(Watch.class, this::onWatch)
        .onMessage(Unwatch.class, this::onUnwatch)
        .onMessage(Get.class, m -> {
          m.replyTo().tell(List.copyOf(present(m.topic(), bucketOf(m.topic(), keys.size()), null).values()));
          return this;
        })
        .onMessage(BucketChanged.class, this::onBucketChanged)
        .onMessage(MembershipChanged.class, m -> onMembershipChanged(m.event()))
        .onMessage(Updated.class, this::onUpdated)
        .onMessageEquals(Flush.INSTANCE, this::onFlush)
        .build();
  }

  private Behavior<Command> onTrack(Track m) {
    String element = m.entry().encode();
    ownByElement.put(element, m.entry());
    return gather(new Write(m.topic(), element, true));
  }

  private Behavior<Command> onUntrack(Untrack m) {
    String element = m.entry().encode();
    ownByElement.remove(element);
    return gather(new Write(m.topic(), element, false));
  }

  private Behavior<Command> gather(Write write) {
    unwritten.computeIfAbsent(bucketOf(write.topic(), keys.size()), b -> new ArrayList<>()).add(write);
    return this;
  }

  /**
   * One Distributed Data update per bucket for everything gathered since the last batch: a join
   * storm makes a few hundred updates a second instead of one per join, and the replicator
   * serializes and hashes a changed bucket for its subscribers once per update, the whole
   * bucket each time (the largest single cost of a presence join before batching).
   */
  private Behavior<Command> writeBatch() {
    for (var e : unwritten.entrySet()) {
      List<Write> writes = e.getValue();
      replicator.askUpdate(
          replyTo -> new Replicator.Update<>(keys.get(e.getKey()), ORMultiMap.emptyWithValueDeltas(), Replicator.writeLocal(), replyTo,
              map -> {
                ORMultiMap<String, String> result = map;
                for (Write w : writes) {
                  result = w.add() ? result.addBindingBy(w.topic(), w.element(), self) : result.removeBindingBy(w.topic(), w.element(), self);
                }
                return result;
              }),
          Updated::new);
    }
    unwritten.clear();
    return this;
  }

  private Behavior<Command> onUpdated(Updated m) {
    if (!(m.response() instanceof Replicator.UpdateSuccess)) {
      getContext().getLog().warn("presence update failed: {}", m.response());
    }
    return this;
  }

  private Behavior<Command> onWatch(Watch m) {
    int bucket = bucketOf(m.topic(), keys.size());
    Decoded decoded = new Decoded();
    View view = new View(bucket, m.room(), new TopicChanges(present(m.topic(), bucket, decoded)), decoded);
    views.put(m.topic(), view);
    m.room().tell(new Changed(m.topic(), view.changes().initial()));
    return this;
  }

  private Behavior<Command> onUnwatch(Unwatch m) {
    View view = views.get(m.topic());
    if (view != null && view.room().equals(m.room())) views.remove(m.topic());
    return this;
  }

  private Behavior<Command> onBucketChanged(BucketChanged m) {
    ORMultiMap<String, String> before = buckets.put(m.bucket(), m.data());
    uncounted.add(m.bucket());
    for (var e : views.entrySet()) {
      View view = e.getValue();
      // Only topics whose entries changed are decoded again; the others share the bucket.
      if (view.bucket() == m.bucket() && (before == null || !before.get(e.getKey()).equals(m.data().get(e.getKey())))) {
        refresh(e.getKey(), view);
      }
    }
    return this;
  }

  /**
   * Live nodes are followed event by event (the subscription replays the current members
   * first), never read from {@code Cluster.state()}: that snapshot is updated by another
   * subscriber of the same events and may not have seen this one yet, and a node missing from a
   * stale read would hide its users here until the next membership change.
   */
  private Behavior<Command> onMembershipChanged(ClusterEvent.MemberEvent event) {
    String node = nodeId(event.member().uniqueAddress());
    boolean gone = event instanceof ClusterEvent.MemberDowned || event instanceof ClusterEvent.MemberRemoved;
    boolean changed = gone ? !node.equals(selfNode) && liveNodes.remove(node) : liveNodes.add(node);
    if (!changed) return this;
    for (var e : views.entrySet()) refresh(e.getKey(), e.getValue());
    if (gone) removeEntriesOf(Set.of(node));
    return this;
  }

  /** A node left or died: every surviving node drops its entries from the data (idempotent). */
  private void removeEntriesOf(Set<String> gone) {
    for (var b : buckets.entrySet()) {
      boolean touched = false;
      for (Set<String> elements : b.getValue().getEntries().values()) {
        for (String element : elements) {
          PresenceEntry entry = PresenceEntry.decode(element);
          if (entry != null && gone.contains(entry.node())) touched = true;
        }
      }
      if (!touched) continue;
      replicator.askUpdate(
          replyTo -> new Replicator.Update<>(keys.get(b.getKey()), ORMultiMap.emptyWithValueDeltas(), Replicator.writeLocal(), replyTo,
              map -> {
                ORMultiMap<String, String> result = map;
                for (var t : map.getEntries().entrySet()) {
                  for (String element : t.getValue()) {
                    PresenceEntry entry = PresenceEntry.decode(element);
                    if (entry != null && gone.contains(entry.node())) result = result.removeBindingBy(t.getKey(), element, self);
                  }
                }
                return result;
              }),
          Updated::new);
    }
  }

  private void refresh(String topic, View view) {
    view.changes().refresh(present(topic, view.bucket(), view.decoded()));
  }

  private Behavior<Command> onFlush() {
    for (int bucket : uncounted) {
      long n = entryCount(buckets.get(bucket));
      Long before = counted.put(bucket, n);
      metrics.presenceEntries.addAndGet(n - (before == null ? 0 : before));
    }
    uncounted.clear();
    for (var e : views.entrySet()) {
      PresenceDiff diff = e.getValue().changes().flush();
      if (diff != null) {
        e.getValue().room().tell(new Changed(e.getKey(), diff));
        metrics.presenceDiffs.increment();
      }
    }
    return this;
  }

  /**
   * The topic's entries whose node is a live member, keyed by {@code phx_ref}, in a stable order;
   * {@code decoded} (null: none) holds what was decoded last time and is updated.
   */
  private Map<String, PresenceEntry> present(String topic, int bucket, Decoded decoded) {
    Map<String, PresenceEntry> out = new LinkedHashMap<>();
    ORMultiMap<String, String> data = buckets.get(bucket);
    scala.Option<scala.collection.immutable.Set<String>> elements = data == null ? scala.Option.empty() : data.get(topic);
    if (elements.isEmpty()) {
      if (decoded != null) decoded.byElement = Map.of();
      return out;
    }
    Map<String, PresenceEntry> before = decoded == null ? Map.of() : decoded.byElement;
    Map<String, PresenceEntry> now = new HashMap<>();
    List<PresenceEntry> entries = new ArrayList<>();
    for (String element : CollectionConverters.asJava(elements.get())) {
      PresenceEntry entry = before.get(element);
      if (entry == null) entry = ownByElement.get(element);
      if (entry == null) entry = PresenceEntry.decode(element);
      if (entry == null) continue;
      now.put(element, entry);
      if (liveNodes.contains(entry.node())) entries.add(entry);
    }
    if (decoded != null) decoded.byElement = now;
    entries.sort((a, b) -> a.ref().compareTo(b.ref()));
    for (PresenceEntry entry : entries) out.put(entry.ref(), entry);
    return out;
  }

  private static long entryCount(ORMultiMap<String, String> data) {
    long n = 0;
    for (scala.collection.immutable.Set<String> elements : CollectionConverters.asJava(data.entries().values())) {
      n += elements.size();
    }
    return n;
  }
}
