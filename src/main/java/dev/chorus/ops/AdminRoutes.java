package dev.chorus.ops;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.typesafe.config.Config;
import dev.chorus.room.LocalRooms;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * Chorus's admin API on the management port, every route guarded by the bearer key
 * {@code chorus.admin.key} (no key configured: 403 for everything):
 * <ul>
 *   <li>{@code GET /admin/connections}: this node's open WebSockets and whether it drains;
 *   <li>{@code GET /admin/rooms?limit=N}: this node's local rooms, largest first;
 *   <li>{@code GET /admin/rooms/largest?limit=N}: the largest rooms cluster-wide (members summed
 *       over the nodes that answered in time);
 *   <li>{@code POST /admin/drain}: drain this node (chorus.drain), then leave the cluster and
 *       exit, as SIGTERM does.
 * </ul>
 * Errors are JSON {@code {"error": "..."}}.
 */
public final class AdminRoutes implements ManagementRouteProvider {

  /** Why CoordinatedShutdown runs when an operator drains the node through the admin API. */
  public static final CoordinatedShutdown.Reason DRAIN_REQUESTED = new CoordinatedShutdown.Reason() {
    @Override
    public String toString() {
      return "DrainRequested";
    }
  };

  private final ActorSystem<Void> system;
  private final Operations operations;
  private final BearerAuth auth;
  private final int maxRooms;
  private final Duration askTimeout;
  private final Duration drainWindow;

  public AdminRoutes(ExtendedActorSystem classic) {
    this.system = Adapter.toTyped(classic);
    this.operations = Operations.get(classic);
    Config chorus = classic.settings().config().getConfig("chorus");
    AdminSettings admin = AdminSettings.fromConfig(chorus);
    this.auth = new BearerAuth(admin.key(), "admin API disabled: set chorus.admin.key (--admin-key, CHORUS_ADMIN_KEY)",
        dev.chorus.metrics.Metrics.get(classic));
    this.maxRooms = admin.maxRoomsListed();
    this.askTimeout = admin.askTimeout();
    this.drainWindow = chorus.getDuration("drain.window");
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return pathPrefix("admin", () -> auth.authorized(() -> BearerAuth.serving(operations, node -> concat(
        path("connections", () -> get(() -> json(StatusCodes.OK, connections(node)))),
        path("rooms", () -> get(() -> limit(limit -> onSuccess(localRooms(node, limit), rooms -> json(StatusCodes.OK, rooms))))),
        path(segment("rooms").slash("largest"), () -> get(() -> limit(limit ->
            onSuccess(largestRooms(limit), rooms -> json(StatusCodes.OK, rooms))))),
        path("drain", () -> post(() -> json(StatusCodes.ACCEPTED, drain(node))))))));
  }

  private Route limit(java.util.function.Function<Integer, Route> inner) {
    return parameterOptional("limit", v -> {
      int limit;
      try {
        limit = v.map(Integer::parseInt).orElse(20);
      } catch (NumberFormatException e) {
        return json(StatusCodes.BAD_REQUEST, error("limit must be a number"));
      }
      if (limit < 1 || limit > maxRooms) return json(StatusCodes.BAD_REQUEST, error("limit must be 1.." + maxRooms));
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
    return AskPattern.ask(node.localRooms(), r -> new LocalRooms.GetLargest(limit, r), askTimeout, system.scheduler());
  }

  /** Asks every node's LocalRooms; a node that does not answer in time is left out and counted. */
  private CompletionStage<Map<String, Object>> largestRooms(int limit) {
    Operations.Node self = operations.node();
    return EveryNode.<LocalRooms.Command, LocalRooms.Largest>ask(
        system, LocalRooms.SERVICE_KEY, self == null ? null : self.localRooms(), r -> new LocalRooms.GetLargest(limit, r), askTimeout)
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

  private Map<String, Object> drain(Operations.Node node) {
    int open = node.connections().count();
    boolean already = node.connections().draining();
    node.connections().stopAccepting(); // readiness turns false now, not when the phase starts
    if (!already) CoordinatedShutdown.get(Adapter.toClassic(system)).run(DRAIN_REQUESTED);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("node", system.address().toString());
    m.put("draining", true);
    m.put("connections", open);
    m.put("window", drainWindow.toMillis() / 1000.0 + "s");
    m.put("then", "leave the cluster and exit");
    return m;
  }

  private static Map<String, Object> error(String reason) {
    return BearerAuth.error(reason);
  }

  private static Route json(StatusCode status, Object body) {
    return BearerAuth.json(status, body);
  }
}
