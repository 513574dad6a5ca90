package dev.chorus.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;

/**
 * The node's metrics, one set per actor system (a Pekko extension), exported in Prometheus text
 * format at {@code /metrics} on the management port by {@link MetricsRoute}.
 *
 * <p>The hot path only touches {@link LongAdder}s; the Prometheus registry reads them when it is
 * scraped. Names follow Prometheus conventions: {@code chorus_} prefix, {@code _total} for
 * counters, base units (seconds).
 */
public final class Metrics implements Extension {
  public final LongAdder connectionsOpened = new LongAdder();
  public final LongAdder connectionsClosed = new LongAdder();
  public final LongAdder joins = new LongAdder();
  public final LongAdder joinsRefused = new LongAdder();
  /** Joins sent again to a room entity that had gone silent (a node lost, a room moving). */
  public final LongAdder joinRetries = new LongAdder();
  public final LongAdder leaves = new LongAdder();
  public final LongAdder publishes = new LongAdder();
  public final LongAdder deliveries = new LongAdder();
  /** Frames not queued because the connection was closing or overflowed. */
  public final LongAdder deliveriesDropped = new LongAdder();
  /** Shared frames (broadcasts, presence diffs) rendered once more, in V1, for a local room's vsn=1.0.0 members. */
  public final LongAdder v1Renders = new LongAdder();
  /** Deliver messages a room entity on this node sent to a local room on another node. */
  public final LongAdder crossNodeDeliveries = new LongAdder();
  /** Bytes of Chorus's room messages serialized for another node (without Artery's envelope). */
  public final LongAdder crossNodeBytes = new LongAdder();
  /** Counted where the bytes arrive: a node without members of a room must never see its publishes. */
  public final LongAdder crossNodeDeliveriesReceived = new LongAdder();
  /** Slow consumers closed (4000), all reasons; {@link #slowConsumerClosed} counts them by reason. */
  public final LongAdder slowConsumerCloses = new LongAdder();
  /**
   * What the node holds for its clients and their sockets have not taken yet: the frames in the
   * outbound queues (each counted with its per-frame cost) and the bytes in Netty's buffers,
   * kept by transport/OutboundQueue; the node's outbound budget is checked against it.
   */
  public final LongAdder outboundBacklogBytes = new LongAdder();
  public final LongAdder badFrames = new LongAdder();
  public final LongAdder rateLimited = new LongAdder();
  public final LongAdder channelFailures = new LongAdder();
  /** Presence entries (one per join of a presence topic) in this node's replica, cluster-wide. */
  public final AtomicLong presenceEntries = new AtomicLong();
  public final LongAdder presenceDiffs = new LongAdder();
  private final ConcurrentHashMap<String, LongAdder> closedByReason = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, LongAdder> refusedByReason = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, LongAdder> managementRefusedByReason = new ConcurrentHashMap<>();
  /** LongPoll requests refused or answered 410, by reason (transport/LongPollEndpoint). */
  private final ConcurrentHashMap<String, LongAdder> longPollRefusedByReason = new ConcurrentHashMap<>();
  private volatile java.util.function.IntSupplier longPollSessions = () -> 0;
  /** Read at each scrape: the node's membership snapshot (ops.ClusterGauges feeds it). */
  private volatile java.util.function.Supplier<ClusterMembers> clusterMembers = () -> ClusterMembers.NONE;
  /** Read at each scrape: whether the node drains (the node hands in its Connections' flag). */
  private volatile java.util.function.BooleanSupplier draining = () -> false;
  /** Why slow consumers were closed; the reasons are listed from the start, so each shows 0 until it happens. */
  private final ConcurrentHashMap<String, LongAdder> slowByReason = new ConcurrentHashMap<>(
      Map.of("queue_full", new LongAdder(), "stalled", new LongAdder(), "budget", new LongAdder()));
  // Rooms' bounds: refusals of joins and pushes by the reply's reason, history evictions by
  // cause, and what the room entities of this node hold.
  private final ConcurrentHashMap<String, LongAdder> joinRefusedByReason = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, LongAdder> pushRefusedByReason = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, LongAdder> historyEvictedByReason = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, LongAdder> recoveryRefusedByReason = new ConcurrentHashMap<>();
  /** Bytes of room history (rendered frames, off the heap) held by the room entities of this node. */
  public final AtomicLong historyBytes = new AtomicLong();
  /** Room entities (topics' sequencers) running on this node. */
  public final AtomicLong roomEntities = new AtomicLong();
  /** Bytes of recovery replays this node's local rooms hold until their clients' queues take them. */
  public final AtomicLong replayBytesHeld = new AtomicLong();
  /** Joins sent to the rooms and not answered yet, kept by transport/JoinsInProgress. */
  public final AtomicLong joinsInProgress = new AtomicLong();

  /** Upper bounds of the room size buckets; a room counts in the first bucket it fits. */
  public static final int[] ROOM_SIZE_BOUNDS = {1, 10, 100, 1000, 10000, Integer.MAX_VALUE};
  private final AtomicLongArray roomsBySize = new AtomicLongArray(ROOM_SIZE_BOUNDS.length);

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final HeapAfterGc heapAfterGc = new HeapAfterGc();
  /** Publish (sequenced by the room entity) to the last local member queued, per node. */
  public final Histogram fanoutLatency;

  public Metrics() {
    counter("chorus_connections_opened", "WebSocket connections accepted", connectionsOpened);
    counter("chorus_joins", "joins accepted", joins);
    counter("chorus_joins_refused", "joins refused (unknown namespace, room full, ...)", joinsRefused);
    counter("chorus_join_retries", "joins sent again to a room entity that had gone silent (its node lost, the room moving)", joinRetries);
    counter("chorus_leaves", "topics left by clients", leaves);
    counter("chorus_publishes", "messages sequenced by room entities on this node", publishes);
    counter("chorus_deliveries", "frames queued to subscribers on this node", deliveries);
    counter("chorus_deliveries_dropped", "frames not queued: the connection was closing or overflowed", deliveriesDropped);
    counter("chorus_v1_renders", "broadcasts and presence diffs rendered once more, per node, for members that speak vsn=1.0.0", v1Renders);
    counter("chorus_cross_node_deliveries", "publishes sent by room entities here to another node's local room", crossNodeDeliveries);
    counter("chorus_cross_node_deliveries_received", "publishes received here from a room entity on another node", crossNodeDeliveriesReceived);
    counter("chorus_cross_node_bytes", "bytes of room messages (publishes, joins, deliveries) serialized here for another node, without Artery's envelope", crossNodeBytes);
    CounterWithCallback.builder()
        .name("chorus_slow_consumer_closes")
        .help("connections closed as slow consumers (4000), by reason: queue_full (outbound queue bound),"
            + " stalled (socket not drained for outbound-stall-timeout), budget (node's outbound budget)")
        .labelNames("reason")
        .callback(cb -> slowByReason.forEach((reason, n) -> cb.call(n.sum(), reason)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("chorus_outbound_backlog_bytes")
        .help("bytes queued for clients that their sockets have not taken yet (outbound queues and Netty's buffers)")
        .callback(cb -> cb.call(outboundBacklogBytes.sum()))
        .register(registry);
    counter("chorus_bad_frames", "client frames that could not be decoded", badFrames);
    counter("chorus_rate_limited", "client frames refused for exceeding a rate", rateLimited);
    counter("chorus_channel_failures", "channel actors that failed (phx_error sent)", channelFailures);
    counter("chorus_presence_diffs", "presence changes sent to local rooms (one per topic and interval at most)", presenceDiffs);
    GaugeWithCallback.builder()
        .name("chorus_presence_entries")
        .help("presence entries (joins of presence topics, cluster-wide) in this node's replica")
        .callback(cb -> cb.call(presenceEntries.get()))
        .register(registry);
    CounterWithCallback.builder()
        .name("chorus_connections_closed")
        .help("WebSocket connections ended, by reason")
        .labelNames("reason")
        .callback(cb -> closedByReason.forEach((reason, n) -> cb.call(n.sum(), reason)))
        .register(registry);
    CounterWithCallback.builder()
        .name("chorus_connections_refused")
        .help("WebSocket upgrades and connections refused, by reason (version, origin, ip_rate, token, user_limit,"
            + " draining, overloaded, node_limit, ip_limit, handshake_timeout, request_too_large, bad_request, connect_hook)")
        .labelNames("reason")
        .callback(cb -> refusedByReason.forEach((reason, n) -> cb.call(n.sum(), reason)))
        .register(registry);
    CounterWithCallback.builder()
        .name("chorus_management_refused")
        .help("requests of the management port refused, by reason (unauthorized, disabled, body_too_large, too_deep, streams_full)")
        .labelNames("reason")
        .callback(cb -> managementRefusedByReason.forEach((reason, n) -> cb.call(n.sum(), reason)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("chorus_connections")
        .help("open connections: WebSockets and LongPoll sessions")
        .callback(cb -> cb.call(connectionsCurrent()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("chorus_rooms")
        .help("topics with members on this node, by member count: size is the bucket's upper bound")
        .labelNames("size")
        .callback(cb -> {
          for (int i = 0; i < ROOM_SIZE_BOUNDS.length; i++) {
            cb.call(roomsBySize.get(i), i == ROOM_SIZE_BOUNDS.length - 1 ? "+Inf" : String.valueOf(ROOM_SIZE_BOUNDS[i]));
          }
        })
        .register(registry);
    labeledCounter("chorus_longpoll_refusals", "LongPoll requests refused or answered 410, by reason (session_limit,"
        + " unknown_session, node_gone, forwards_full, forward_timeout, body_too_large, frame_too_large, too_many_frames,"
        + " bad_base64, invalid_utf8, method, origin); refused new sessions also count in chorus_connections_refused",
        longPollRefusedByReason);
    GaugeWithCallback.builder()
        .name("chorus_longpoll_sessions")
        .help("LongPoll sessions held by this node (also counted in chorus_connections)")
        .callback(cb -> cb.call(longPollSessions.getAsInt()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("chorus_cluster_members")
        .help("cluster members this node sees, by status (joining, weakly_up, up, leaving, exiting, down, removed,"
            + " preparing_for_shutdown, ready_for_shutdown)")
        .labelNames("status")
        .callback(cb -> clusterMembers.get().byStatus().forEach((status, n) -> cb.call(n, status)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("chorus_cluster_unreachable_members")
        .help("cluster members this node sees as unreachable (not downed yet)")
        .callback(cb -> cb.call(clusterMembers.get().unreachable()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("chorus_draining")
        .help("1 while this node drains (POST /admin/drain, SIGTERM, removed from the cluster): it refuses new"
            + " connections and closes its clients over the drain window, then exits")
        .callback(cb -> cb.call(draining.getAsBoolean() ? 1 : 0))
        .register(registry);
    labeledCounter("chorus_join_refusals", "joins refused, by the reply's reason", joinRefusedByReason);
    labeledCounter("chorus_push_refusals", "pushes refused, by the reply's reason", pushRefusedByReason);
    labeledCounter("chorus_history_evictions", "messages dropped from room history, by cause (count, age, room_bytes, node_bytes)",
        historyEvictedByReason);
    labeledCounter("chorus_recovery_refusals", "joins that asked to recover answered recovered: false, by reason",
        recoveryRefusedByReason);
    gauge("chorus_history_bytes", "bytes of room history held by the room entities of this node", historyBytes);
    gauge("chorus_room_entities", "room entities (topic sequencers) running on this node", roomEntities);
    gauge("chorus_replay_held_bytes", "bytes of recovery replays held until the recovering clients' queues take them", replayBytesHeld);
    gauge("chorus_joins_in_progress", "joins sent to the rooms and not answered yet; at"
        + " chorus.connection.max-joins-in-progress new upgrades are refused (overloaded)", joinsInProgress);
    fanoutLatency = Histogram.builder()
        .name("chorus_fanout_latency_seconds")
        .help("from a publish being sequenced to its frame queued for the last member on this node")
        .classicUpperBounds(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
        .register(registry);
    GaugeWithCallback.builder()
        .name("chorus_heap_after_gc_bytes")
        .help("heap used right after the latest garbage collection (any collector): the node's live data plus old"
            + " garbage not collected yet; compare with jvm_memory_max_bytes{area=\"heap\"}")
        .callback(cb -> cb.call(heapAfterGc.bytes()))
        .register(registry);
    JvmMetrics.builder().register(registry);
  }

  private void counter(String name, String help, LongAdder adder) {
    CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(adder.sum())).register(registry);
  }

  private void labeledCounter(String name, String help, ConcurrentHashMap<String, LongAdder> byReason) {
    CounterWithCallback.builder()
        .name(name)
        .help(help)
        .labelNames("reason")
        .callback(cb -> byReason.forEach((reason, n) -> cb.call(n.sum(), reason)))
        .register(registry);
  }

  private void gauge(String name, String help, AtomicLong value) {
    GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.get())).register(registry);
  }

  /** A join refused with this reply reason ("room full", "join timed out", ...); also counted in joinsRefused. */
  public void joinRefused(String reason) {
    joinsRefused.increment();
    count(joinRefusedByReason, reason, 1);
  }

  public long joinsRefusedBy(String reason) {
    return sum(joinRefusedByReason, reason);
  }

  /** A push refused with this reply reason ("message too large", "reserved event", ...). */
  public void pushRefused(String reason) {
    count(pushRefusedByReason, reason, 1);
  }

  public long pushesRefusedBy(String reason) {
    return sum(pushRefusedByReason, reason);
  }

  /** {@code n} messages dropped from a room's history for this cause (count, age, room_bytes, node_bytes). */
  public void historyEvicted(String cause, int n) {
    count(historyEvictedByReason, cause, n);
  }

  public long historyEvictedBy(String cause) {
    return sum(historyEvictedByReason, cause);
  }

  /** A join that asked to recover was answered recovered: false for this reason ("history gone", "node busy", ...). */
  public void recoveryRefused(String reason) {
    count(recoveryRefusedByReason, reason, 1);
  }

  public long recoveriesRefusedBy(String reason) {
    return sum(recoveryRefusedByReason, reason);
  }

  /** Reasons become label values as they are, spaces made underscores: "room full" is room_full. */
  private static String label(String reason) {
    return reason.replace(' ', '_');
  }

  private static void count(ConcurrentHashMap<String, LongAdder> byReason, String reason, int n) {
    byReason.computeIfAbsent(label(reason), k -> new LongAdder()).add(n);
  }

  private static long sum(ConcurrentHashMap<String, LongAdder> byReason, String reason) {
    LongAdder a = byReason.get(label(reason));
    return a == null ? 0 : a.sum();
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** A WebSocket upgrade or connection refused (its reason label: see chorus_connections_refused). */
  public void connectionRefused(String reasonLabel) {
    refusedByReason.computeIfAbsent(reasonLabel, k -> new LongAdder()).increment();
  }

  /** A LongPoll request refused or answered 410, for {@code reasonLabel} (see chorus_longpoll_refusals). */
  public void longPollRefused(String reasonLabel) {
    longPollRefusedByReason.computeIfAbsent(reasonLabel, k -> new LongAdder()).increment();
  }

  public long longPollRefusedBy(String reasonLabel) {
    LongAdder a = longPollRefusedByReason.get(reasonLabel);
    return a == null ? 0 : a.sum();
  }

  /** Where the LongPoll sessions gauge reads its count (the node's LongPollSessions). */
  public void longPollSessions(java.util.function.IntSupplier count) {
    longPollSessions = count;
  }

  /** The heap used right after the JVM's latest collection (chorus_heap_after_gc_bytes), read now. */
  public long heapAfterGcBytes() {
    return heapAfterGc.bytes();
  }

  /** Where the cluster gauges read the membership (ops.ClusterGauges, once the node runs). */
  public void clusterMembers(java.util.function.Supplier<ClusterMembers> source) {
    clusterMembers = source;
  }

  public ClusterMembers clusterMembers() {
    return clusterMembers.get();
  }

  /** Where chorus_draining reads whether the node drains. */
  public void draining(java.util.function.BooleanSupplier source) {
    draining = source;
  }

  public int longPollSessions() {
    return longPollSessions.getAsInt();
  }

  /** A request of the management port refused (unauthorized, disabled, body_too_large, too_deep, streams_full). */
  public void managementRefused(String reasonLabel) {
    managementRefusedByReason.computeIfAbsent(reasonLabel, k -> new LongAdder()).increment();
  }

  public long managementRefusedBy(String reasonLabel) {
    LongAdder a = managementRefusedByReason.get(reasonLabel);
    return a == null ? 0 : a.sum();
  }

  /** Connections refused so far, by reason label (the admin API's samples take rates of them). */
  public Map<String, Long> refusedByReason() {
    Map<String, Long> m = new TreeMap<>();
    refusedByReason.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }

  public long refusedBy(String reasonLabel) {
    LongAdder a = refusedByReason.get(reasonLabel);
    return a == null ? 0 : a.sum();
  }

  /** A slow consumer closed (4000) for {@code reasonLabel}: queue_full, stalled or budget. */
  public void slowConsumerClosed(String reasonLabel) {
    slowConsumerCloses.increment();
    slowByReason.computeIfAbsent(reasonLabel, k -> new LongAdder()).increment();
  }

  public long slowConsumerClosesBy(String reasonLabel) {
    LongAdder a = slowByReason.get(reasonLabel);
    return a == null ? 0 : a.sum();
  }

  public void connectionClosed(String reasonLabel) {
    connectionsClosed.increment();
    closedByReason.computeIfAbsent(reasonLabel, k -> new LongAdder()).increment();
  }

  public long closedBy(String reasonLabel) {
    LongAdder a = closedByReason.get(reasonLabel);
    return a == null ? 0 : a.sum();
  }

  /** Connections closed so far, by reason label. */
  public Map<String, Long> closedByReason() {
    Map<String, Long> m = new TreeMap<>();
    closedByReason.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }

  public long connectionsCurrent() {
    return connectionsOpened.sum() - connectionsClosed.sum();
  }

  /** Topics with members on this node (every size bucket of chorus_rooms). */
  public long rooms() {
    long n = 0;
    for (int i = 0; i < roomsBySize.length(); i++) n += roomsBySize.get(i);
    return n;
  }

  /** A local room's member count changed from {@code before} to {@code after} (0 = no room). */
  public void roomResized(int before, int after) {
    if (before > 0) roomsBySize.decrementAndGet(bucket(before));
    if (after > 0) roomsBySize.incrementAndGet(bucket(after));
  }

  private static int bucket(int size) {
    int i = 0;
    while (size > ROOM_SIZE_BOUNDS[i]) i++;
    return i;
  }

  /** The node's metrics. */
  public static Metrics get(ActorSystem system) {
    return Id.INSTANCE.get(system);
  }

  static final class Id extends AbstractExtensionId<Metrics> implements ExtensionIdProvider {
    static final Id INSTANCE = new Id();

    @Override
    public Metrics createExtension(ExtendedActorSystem system) {
      return new Metrics();
    }

    @Override
    public Id lookup() {
      return INSTANCE;
    }
  }
}
