package dev.chorus.ops;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import dev.chorus.metrics.Metrics;
import dev.chorus.protocol.Topic;
import dev.chorus.room.LocalRooms;
import dev.chorus.room.RoomEntity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chorus's admin API on the management port, every route guarded by the bearer key
 * {@code chorus.admin.key} (no key configured: 403 for everything):
 * <ul>
 *   <li>{@code GET /admin/connections}: this node's open WebSockets and whether it drains;
 *   <li>{@code GET /admin/rooms?limit=N}: this node's local rooms, largest first;
 *   <li>{@code GET /admin/rooms/largest?limit=N}: the largest rooms cluster-wide (members summed
 *       over the nodes that answered in time);
 *   <li>{@code POST /admin/drain}: drain this node (chorus.drain), then leave the cluster and
 *       exit, as SIGTERM does;
 *   <li>{@code GET /admin/nodes}: every member of the cluster with its status and its own stats
 *       ({@link NodeStatus});
 *   <li>{@code POST /admin/nodes/drain} {@code {"node": "<address>"}}: drain that node;
 *   <li>{@code GET /admin/stream}: Server-Sent Events, every node's kept samples, then every
 *       node's sample each chorus.admin.sample-interval (at most chorus.admin.max-streams at once);
 *   <li>{@code GET /admin/topics/{topic}}: the topic's entity (its node, position, members,
 *       history) and its members on each node;
 *   <li>{@code GET /admin/users/{user}}: the user's connections on each node.
 * </ul>
 * Errors are JSON {@code {"error": "..."}}. docs/operations.md shows each answer.
 */
public final class AdminRoutes implements ManagementRouteProvider {

  /** Why CoordinatedShutdown runs when an operator drains the node through the admin API. */
  public static final CoordinatedShutdown.Reason DRAIN_REQUESTED = new CoordinatedShutdown.Reason() {
    @Override
    public String toString() {
      return "DrainRequested";
    }
  };

  private static final Logger LOG = LoggerFactory.getLogger(AdminRoutes.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ActorSystem<Void> system;
  private final Operations operations;
  private final Metrics metrics;
  private final BearerAuth auth;
  private final AdminSettings admin;
  private final Duration drainWindow;
  private final Duration unstartedStreamTimeout;

  public AdminRoutes(ExtendedActorSystem classic) {
    this.system = Adapter.toTyped(classic);
    this.operations = Operations.get(classic);
    this.metrics = Metrics.get(classic);
    Config chorus = classic.settings().config().getConfig("chorus");
    this.admin = AdminSettings.fromConfig(chorus);
    this.auth = new BearerAuth(admin.key(), "admin API disabled: set chorus.admin.key (--admin-key, CHORUS_ADMIN_KEY)", metrics);
    this.drainWindow = chorus.getDuration("drain.window");
    this.unstartedStreamTimeout = classic.settings().config().getDuration("pekko.http.server.idle-timeout");
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return pathPrefix("admin", () -> auth.authorized(() -> BearerAuth.serving(operations, node -> concat(
        path("connections", () -> get(() -> json(StatusCodes.OK, connections(node)))),
        path("rooms", () -> get(() -> limit(limit -> onSuccess(localRooms(node, limit), rooms -> json(StatusCodes.OK, rooms))))),
        path(segment("rooms").slash("largest"), () -> get(() -> limit(limit ->
            onSuccess(largestRooms(limit), rooms -> json(StatusCodes.OK, rooms))))),
        path("drain", () -> post(() -> {
          LOG.info("Drain of this node requested through the admin API (POST /admin/drain)");
          return json(StatusCodes.ACCEPTED, NodeDrain.start(system, node.connections(), drainWindow).json());
        })),
        path("nodes", () -> get(() -> onSuccess(nodes(node), nodes -> json(StatusCodes.OK, nodes)))),
        path(segment("nodes").slash("drain"), () -> post(() -> body(body -> drainNode(node, body)))),
        path("stream", () -> get(() -> stream(node))),
        path(segment("topics").slash(segment()), topic -> get(() -> topic(node, topic))),
        path(segment("users").slash(segment()), user -> get(() ->
            onSuccess(user(node, user), found -> json(StatusCodes.OK, found))))))));
  }

  private Route limit(java.util.function.Function<Integer, Route> inner) {
    return parameterOptional("limit", v -> {
      int limit;
      try {
        limit = v.map(Integer::parseInt).orElse(20);
      } catch (NumberFormatException e) {
        return json(StatusCodes.BAD_REQUEST, error("limit must be a number"));
      }
      if (limit < 1 || limit > admin.maxRoomsListed()) {
        return json(StatusCodes.BAD_REQUEST, error("limit must be 1.." + admin.maxRoomsListed()));
      }
      return inner.apply(limit);
    });
  }

  private Map<String, Object> connections(Operations.Node node) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("node", system.address().toString());
    m.put("connections", node.connections().count());
    m.put("draining", node.connections().draining());
    return m;
  }

  private CompletionStage<LocalRooms.Largest> localRooms(Operations.Node node, int limit) {
    return AskPattern.ask(node.localRooms(), r -> new LocalRooms.GetLargest(limit, r), admin.askTimeout(), system.scheduler());
  }

  /** Asks every node's LocalRooms; a node that does not answer in time is left out and counted. */
  private CompletionStage<Map<String, Object>> largestRooms(int limit) {
    Operations.Node self = operations.node();
    return EveryNode.<LocalRooms.Command, LocalRooms.Largest>ask(
        system, LocalRooms.SERVICE_KEY, self == null ? null : self.localRooms(), r -> new LocalRooms.GetLargest(limit, r),
        admin.askTimeout())
        .thenApply(answers -> {
          Map<String, int[]> byTopic = new TreeMap<>(); // members, nodes
          int answered = 0;
          for (Optional<LocalRooms.Largest> largest : answers) {
            if (largest.isEmpty()) continue;
            answered++;
            for (LocalRooms.RoomSize r : largest.get().largest()) {
              int[] acc = byTopic.computeIfAbsent(r.topic(), t -> new int[2]);
              acc[0] += r.members();
              acc[1]++;
            }
          }
          List<Map<String, Object>> rooms = byTopic.entrySet().stream()
              .sorted(Comparator.comparingInt((Map.Entry<String, int[]> e) -> -e.getValue()[0]).thenComparing(Map.Entry::getKey))
              .limit(limit)
              .map(e -> {
                Map<String, Object> room = new LinkedHashMap<>();
                room.put("topic", e.getKey());
                room.put("members", e.getValue()[0]);
                room.put("nodes", e.getValue()[1]);
                return room;
              })
              .toList();
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("nodes", answers.size());
          m.put("answered", answered);
          m.put("largest", rooms);
          return m;
        });
  }

  /** Every member of the cluster state, in address order, with its node's own stats (null: none in time). */
  private CompletionStage<Map<String, Object>> nodes(Operations.Node self) {
    return EveryNode.<NodeStatus.Command, NodeStatus.Stats>askEach(
            system, NodeStatus.SERVICE_KEY, self.status(), NodeStatus.GetStats::new, admin.askTimeout())
        .thenApply(answers -> AdminViews.nodes(system.address().toString(), members(), answers));
  }

  private List<AdminViews.Member> members() {
    ClusterEvent.CurrentClusterState state = Cluster.get(system).state();
    List<Member> members = new ArrayList<>();
    state.getMembers().forEach(members::add);
    // The oldest Up (or Leaving) member: where cluster singletons run, and the shard coordinator.
    Member oldest = null;
    for (Member m : members) {
      boolean candidate = m.status() == org.apache.pekko.cluster.MemberStatus.up()
          || m.status() == org.apache.pekko.cluster.MemberStatus.leaving();
      if (candidate && (oldest == null || m.isOlderThan(oldest))) oldest = m;
    }
    List<AdminViews.Member> out = new ArrayList<>();
    for (Member m : members) {
      List<String> roles = new ArrayList<>(m.getRoles());
      roles.sort(null);
      out.add(new AdminViews.Member(m.address().toString(), m.status().toString(), !state.getUnreachable().contains(m),
          List.copyOf(roles), m.address().equals(state.getLeader()), m == oldest));
    }
    return out;
  }

  /**
   * Drains the node the body names, by asking its own {@link NodeStatus}: 404 when it is not a
   * member, 503 when it does not answer in time (unreachable, or gone already).
   */
  private Route drainNode(Operations.Node self, String body) {
    String address;
    try {
      JsonNode request = JSON.readTree(body);
      address = request != null && request.path("node").isTextual() ? request.get("node").asText() : "";
    } catch (JsonProcessingException e) {
      address = "";
    }
    if (address.isEmpty()) return json(StatusCodes.BAD_REQUEST, error("body must be {\"node\": \"<address>\"}"));
    String target = address;
    if (members().stream().noneMatch(m -> m.address().equals(target))) {
      return json(StatusCodes.NOT_FOUND, error("no such node"));
    }
    LOG.info("Drain of {} requested through the admin API (POST /admin/nodes/drain)", target);
    CompletionStage<Optional<NodeDrain.Drained>> drained =
        EveryNode.find(system, NodeStatus.SERVICE_KEY, self.status(), admin.askTimeout()).thenCompose(nodes -> {
          ActorRef<NodeStatus.Command> node = nodes.get(target);
          if (node == null) return CompletableFuture.completedFuture(Optional.<NodeDrain.Drained>empty());
          return AskPattern.<NodeStatus.Command, NodeDrain.Drained>ask(node, NodeStatus.Drain::new, admin.askTimeout(), system.scheduler())
              .thenApply(Optional::of)
              .exceptionally(e -> Optional.empty());
        });
    return onSuccess(drained, answer -> answer
        .map(d -> json(StatusCodes.ACCEPTED, d.json()))
        .orElseGet(() -> json(StatusCodes.SERVICE_UNAVAILABLE, error("the node did not answer in time"))));
  }

  /**
   * Server-Sent Events: a {@code history} event with every node's kept samples, then a
   * {@code sample} event each sample-interval with every node's latest sample (null where it
   * did not answer within the interval, so that the stream keeps its pace). At most
   * max-streams at once on this node; the slot is given back when the stream ends, whoever
   * ends it, or if the response is never sent (its client went before): a stream not started
   * within the server's idle timeout never will be.
   */
  private Route stream(Operations.Node self) {
    StreamSlots slots = self.streams();
    StreamSlots.Slot slot = slots.tryAcquire();
    if (slot == null) {
      metrics.managementRefused("streams_full");
      return json(StatusCodes.SERVICE_UNAVAILABLE,
          error("too many admin streams open on this node: at most " + slots.max() + " (chorus.admin.max-streams)"));
    }
    Duration interval = admin.sampleInterval();
    Source<ServerSentEvent, NotUsed> history = Source.completionStage(
        EveryNode.<NodeStatus.Command, NodeStatus.Samples>askEach(
                system, NodeStatus.SERVICE_KEY, self.status(), NodeStatus.GetSamples::new, admin.askTimeout())
            .thenApply(answers -> event("history", AdminViews.history(interval, answers))));
    Source<ServerSentEvent, NotUsed> samples = Source.tick(interval, interval, NotUsed.notUsed())
        .mapAsync(1, tick -> {
          long t = System.currentTimeMillis();
          return EveryNode.<NodeStatus.Command, NodeStatus.Latest>askEach(
                  system, NodeStatus.SERVICE_KEY, self.status(), NodeStatus.GetLatest::new, interval)
              .thenApply(answers -> event("sample", AdminViews.sample(t, answers)));
        })
        .mapMaterializedValue(c -> NotUsed.notUsed());
    AtomicBoolean started = new AtomicBoolean();
    Source<ServerSentEvent, NotUsed> events = history.concat(samples)
        .watchTermination((mat, done) -> {
          started.set(true);
          done.whenComplete((d, e) -> slot.release());
          return mat;
        });
    system.scheduler().scheduleOnce(unstartedStreamTimeout, () -> {
      if (!started.get()) slot.release();
    }, system.executionContext());
    return completeOK(events, EventStreamMarshalling.toEventStream());
  }

  private static ServerSentEvent event(String type, Object data) {
    try {
      return ServerSentEvent.create(JSON.writeValueAsString(data), type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render " + data, e);
    }
  }

  /** The topic's entity (asked through sharding) and its members on every node (their LocalRooms). */
  private Route topic(Operations.Node self, String topicName) {
    Topic topic = Topic.parse(topicName);
    if (topic == null) return json(StatusCodes.BAD_REQUEST, error("invalid topic"));
    if (self.namespaces().get(topic.namespace()) == null) return json(StatusCodes.NOT_FOUND, error("unknown namespace"));
    CompletableFuture<Optional<RoomEntity.Inspection>> entity = ClusterSharding.get(system)
        .entityRefFor(RoomEntity.TYPE_KEY, topicName)
        .<RoomEntity.Inspection>ask(RoomEntity.Inspect::new, admin.askTimeout())
        .toCompletableFuture()
        .thenApply(Optional::of)
        .exceptionally(e -> Optional.empty());
    CompletionStage<Map<String, Object>> answer = EveryNode.<LocalRooms.Command, LocalRooms.TopicMembers>ask(
            system, LocalRooms.SERVICE_KEY, self.localRooms(), r -> new LocalRooms.GetMembers(topicName, r), admin.askTimeout())
        .thenCombine(entity, (nodes, inspection) -> AdminViews.topic(topicName, inspection, nodes));
    return onSuccess(answer, out -> json(StatusCodes.OK, out));
  }

  private CompletionStage<Map<String, Object>> user(Operations.Node self, String user) {
    return EveryNode.<UserLookup.Find, UserLookup.Found>ask(
            system, UserLookup.SERVICE_KEY, self.userLookup(), r -> new UserLookup.Find(user, r), admin.askTimeout())
        .thenApply(answers -> AdminViews.user(user, answers));
  }

  /** The request body as text, at most chorus.admin.max-body-bytes (413 beyond, counted). */
  private Route body(java.util.function.Function<String, Route> inner) {
    return RequestBody.read(admin.maxBodyBytes(), "chorus.admin.max-body-bytes", metrics, b -> inner.apply(b.utf8String()));
  }

  private static Map<String, Object> error(String reason) {
    return BearerAuth.error(reason);
  }

  private static Route json(StatusCode status, Object body) {
    return BearerAuth.json(status, body);
  }
}
