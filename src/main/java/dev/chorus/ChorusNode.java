package dev.chorus;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.typesafe.config.Config;
import dev.chorus.ops.Metrics;
import dev.chorus.room.LocalRooms;
import dev.chorus.room.Namespaces;
import dev.chorus.room.RoomEntity;
import dev.chorus.room.RoomSettings;
import dev.chorus.session.ConnectionSettings;
import dev.chorus.session.NettySocketServer;
import dev.chorus.session.SocketRoute;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * A running Chorus node: the actor system (a cluster member from the start, so rooms are
 * sharded entities even on one node), the room sharding, the node's local rooms and the HTTP
 * server with the WebSocket endpoint and the demo page.
 */
public final class ChorusNode implements AutoCloseable {
  private final ActorSystem<Void> system;
  private final InetSocketAddress httpAddress;
  private final URI management;
  private final Metrics metrics;
  private final ActorRef<LocalRooms.Command> localRooms;

  private ChorusNode(
      ActorSystem<Void> system,
      InetSocketAddress httpAddress,
      URI management,
      Metrics metrics,
      ActorRef<LocalRooms.Command> localRooms) {
    this.system = system;
    this.httpAddress = httpAddress;
    this.management = management;
    this.metrics = metrics;
    this.localRooms = localRooms;
  }

  /** Starts a node from a fully resolved configuration (see {@link Settings#load}). */
  public static ChorusNode start(Config config) throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "chorus", config);
    try {
      Config chorus = system.settings().config().getConfig("chorus");
      Metrics metrics = Metrics.get(Adapter.toClassic(system));
      Namespaces namespaces = Namespaces.fromConfig(chorus);

      Cluster cluster = Cluster.get(system);
      if (system.settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
        // No seed nodes: this node is a cluster of one (issue "cluster" adds more).
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      ClusterSharding sharding = ClusterSharding.get(system);
      sharding.init(Entity.of(RoomEntity.TYPE_KEY, ctx -> RoomEntity.create(ctx.getEntityId(), namespaces, metrics)));

      ActorRef<LocalRooms.Command> localRooms = system.systemActorOf(
          LocalRooms.create(sharding, RoomSettings.fromConfig(chorus), metrics), "local-rooms", Props.empty());
      SocketRoute socket = new SocketRoute(
          system, ConnectionSettings.fromConfig(chorus.getConfig("connection")), localRooms, namespaces, metrics);

      InetSocketAddress httpAddress;
      String transport = chorus.getString("http.transport");
      if (transport.equals("netty")) {
        NettySocketServer netty = new NettySocketServer(
            socket, chorus.getString("http.host"), chorus.getInt("http.port"),
            chorus.getInt("http.io-threads"), (int) chorus.getBytes("http.socket-send-buffer").longValue());
        httpAddress = netty.localAddress();
        CoordinatedShutdown.get(system).addTask(
            CoordinatedShutdown.PhaseServiceUnbind(), "chorus-netty-unbind",
            () -> CompletableFuture.supplyAsync(() -> {
              netty.close();
              return Done.getInstance();
            }));
      } else if (transport.equals("pekko")) {
        ServerBinding binding = Http.get(system)
            .newServerAt(chorus.getString("http.host"), chorus.getInt("http.port"))
            .bind(routes(socket))
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
        httpAddress = binding.localAddress();
        CoordinatedShutdown.get(system).addTask(
            CoordinatedShutdown.PhaseServiceUnbind(), "chorus-http-unbind",
            () -> binding.unbind().thenApply(done -> Done.getInstance()));
      } else {
        throw new IllegalArgumentException("chorus.http.transport must be pekko or netty, not " + transport);
      }
      // The operators' port: /metrics (and later the cluster API and health checks).
      URI management = URI.create(PekkoManagement.get(Adapter.toClassic(system)).start()
          .toCompletableFuture().get(30, TimeUnit.SECONDS).toString());
      system.log().info("Chorus serving WebSockets on ws://{}:{}/socket/websocket ({} transport)",
          httpAddress.getHostString(), httpAddress.getPort(), transport);
      return new ChorusNode(system, httpAddress, management, metrics, localRooms);
    } catch (Exception e) {
      system.terminate();
      throw e;
    }
  }

  private static Route routes(SocketRoute socket) {
    return concat(
        path(segment("socket").slash("websocket"), () ->
            extractRequest(request -> complete(socket.upgrade(request,
                request.getAttribute(AttributeKeys.remoteAddress).map(Object::toString).orElse("unknown"))))),
        pathSingleSlash(() -> getFromResource("web/index.html", ContentTypes.TEXT_HTML_UTF8)),
        path("phoenix.js", () -> getFromResource("web/phoenix.js")));
  }

  public InetSocketAddress httpAddress() {
    return httpAddress;
  }

  /** The Pekko Management base URI, e.g. http://127.0.0.1:7626 ({@code /metrics} lives there). */
  public URI managementUri() {
    return management;
  }

  public Metrics metrics() {
    return metrics;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public ActorRef<LocalRooms.Command> localRooms() {
    return localRooms;
  }

  /** Completes when the node has shut down. */
  public CompletableFuture<Done> whenTerminated() {
    return system.getWhenTerminated().toCompletableFuture();
  }

  @Override
  public void close() throws Exception {
    system.terminate();
    whenTerminated().get(Duration.ofSeconds(30).toSeconds(), TimeUnit.SECONDS);
  }
}
