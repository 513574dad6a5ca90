package dev.chorus;

import com.typesafe.config.Config;
import dev.chorus.auth.Authenticator;
import dev.chorus.ops.AdminRoutes;
import dev.chorus.ops.AdminSettings;
import dev.chorus.ops.ClusterGauges;
import dev.chorus.ops.NodeStatus;
import dev.chorus.ops.StreamSlots;
import dev.chorus.ops.UserLookup;
import dev.chorus.ops.Drainer;
import dev.chorus.hooks.Hooks;
import dev.chorus.metrics.Metrics;
import dev.chorus.ops.Operations;
import dev.chorus.ops.UserConnections;
import dev.chorus.ops.UserSubscriptions;
import dev.chorus.presence.PresenceReplica;
import dev.chorus.presence.RoomPresence;
import dev.chorus.placement.ConsistentHashingAllocationStrategy;
import dev.chorus.room.LocalRooms;
import dev.chorus.room.Namespaces;
import dev.chorus.room.NodeRooms;
import dev.chorus.room.RoomEntity;
import dev.chorus.room.RoomSettings;
import dev.chorus.session.JoinAccess;
import dev.chorus.session.Session;
import dev.chorus.session.SessionStarter;
import dev.chorus.session.UserSessions;
import dev.chorus.transport.ConnectionAdmission;
import dev.chorus.transport.ConnectionSettings;
import dev.chorus.transport.Connections;
import dev.chorus.transport.JoinsInProgress;
import dev.chorus.transport.LongPollRouter;
import dev.chorus.transport.LongPollSessions;
import dev.chorus.transport.LongPollToken;
import dev.chorus.transport.NettySocketServer;
import dev.chorus.webhooks.WebhookSender;
import dev.chorus.webhooks.WebhookSettings;
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
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

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
      ChorusSettings settings = ChorusSettings.fromConfig(chorus);
      Metrics metrics = Metrics.get(Adapter.toClassic(system));
      Namespaces namespaces = settings.namespaces();
      RoomSettings roomSettings = settings.room();
      ClusterSharding sharding = ClusterSharding.get(system);
      WebhookSender webhooks = startWebhooks(system, settings.webhooks(), chorus, metrics);
      NodeRooms nodeRooms = new NodeRooms(roomSettings, metrics, webhooks, settings.webhooks().userLeftDelay().toMillis());
      sharding.init(Entity.of(RoomEntity.TYPE_KEY,
              ctx -> RoomEntity.create(ctx.getEntityId(), ctx.getShard(), namespaces, roomSettings, nodeRooms, metrics))
          .withStopMessage(RoomEntity.Stop.INSTANCE)
          .withAllocationStrategy(ConsistentHashingAllocationStrategy.fromConfig(chorus)));

      ActorRef<PresenceReplica.Command> presence = system.systemActorOf(
          PresenceReplica.create(settings.presence(), metrics),
          "presence", Props.empty());
      ActorRef<LocalRooms.Command> localRooms = system.systemActorOf(
          LocalRooms.create(sharding, roomSettings, nodeRooms, metrics, new RoomPresence.Factory(
              presence, PresenceReplica.nodeId(Cluster.get(system).selfMember().uniqueAddress()),
              settings.presenceMaxMetaBytes())),
          "local-rooms", Props.empty());
      ConnectionSettings connectionSettings = settings.connection();
      Connections connections = new Connections();
      metrics.draining(connections::draining);
      ClusterGauges.feed(system, metrics);
      ActorRef<Drainer.Command> drainer = system.systemActorOf(
          Drainer.create(connections, settings.drain()),
          "drainer", Props.empty());
      addDrainTask(system, drainer, config);
      ActorRef<UserConnections.Disconnect> userConnections =
          system.systemActorOf(UserConnections.create(connections), "user-connections", Props.empty());
      Authenticator authenticator = Authenticator.fromConfig(chorus);
      if (authenticator.anonymousAllowed()) {
        system.log().warn("Profile dev: connections without a token are let in as anonymous users. Production runs"
            + " chorus.profile = prod (--profile prod), which requires tokens and a key to verify them.");
      }
      if (settings.http().allowedOrigins().allowsAll()) {
        system.log().warn("chorus.http.allowed-origins has \"*\": a page of any site may open WebSockets to this node"
            + " with its visitors' cookies and network position. List the sites that serve your pages instead.");
      }
      // Counted by the sessions, consulted by the admission of new upgrades.
      JoinsInProgress joinsInProgress = new JoinsInProgress(connectionSettings.maxJoinsInProgress(), metrics);
      Hooks hooks = Hooks.get(system);
      if (!hooks.signed() && "prod".equals(chorus.getString("profile")) && Hooks.anyConfigured(chorus)) {
        system.log().warn("chorus.hooks.secret is empty: hook requests to your backend are not signed, so it cannot tell"
            + " them from anyone else's requests (docs/hooks.md).");
      }
      ConnectionAdmission admission = new ConnectionAdmission(connectionSettings, metrics, connections, authenticator,
          settings.http().allowedOrigins(), joinsInProgress, hooks.connect());
      // Sessions by user, for the backend's server-side subscriptions.
      UserSessions userSessions = new UserSessions();
      ActorRef<UserSubscriptions.Change> userSubscriptions =
          system.systemActorOf(UserSubscriptions.create(userSessions), "user-subscriptions", Props.empty());
      // What the admin API shows of this node to any node: its state, its samples, its drain.
      AdminSettings admin = AdminSettings.fromConfig(chorus);
      ActorRef<NodeStatus.Command> status = system.systemActorOf(NodeStatus.create(connections, metrics,
          new NodeStatus.Settings(admin.sampleInterval(), admin.samplesKept(), settings.drain().window())), "node-status", Props.empty());
      // Half the admin API's wait: the node's answer still reaches the asking node in time.
      ActorRef<UserLookup.Find> userLookup = system.systemActorOf(
          UserLookup.create(userSessions, admin.askTimeout().dividedBy(2)), "user-lookup", Props.empty());
      SessionStarter sessions = new SessionStarter(system, new Session.Settings(
          connectionSettings.maxJoins(), connectionSettings.maxEarlyPushes(), connectionSettings.maxEarlyPushBytes(),
          localRooms, namespaces, metrics, joinsInProgress, JoinAccess.fromConfig(chorus, namespaces), userSessions));
      // LongPoll sessions, named by tokens that only this node can sign (a fresh secret per start).
      LongPollSessions longPoll = new LongPollSessions(settings.longPoll(), admission, sessions,
          LongPollToken.withRandomSecret(Cluster.get(system).selfMember().address().toString()));
      LongPollRouter longPollRouter = LongPollRouter.start(system, longPoll);
      NettySocketServer server = new NettySocketServer(settings.http(), admission, sessions, longPoll, longPollRouter);
      InetSocketAddress httpAddress = server.localAddress();
      CoordinatedShutdown.get(system).addTask(
          CoordinatedShutdown.PhaseServiceUnbind(), "chorus-netty-unbind",
          () -> CompletableFuture.supplyAsync(() -> {
            longPoll.closeAll();
            server.close();
            return Done.getInstance();
          }));
      Operations.get(Adapter.toClassic(system)).serving(new Operations.Node(connections, localRooms, drainer, presence, namespaces,
          userConnections, userSubscriptions, status, userLookup, new StreamSlots(admin.maxStreams())));
      // The operators' port: health checks, cluster API, /metrics, admin API.
      URI management = URI.create(PekkoManagement.get(Adapter.toClassic(system)).start()
          .toCompletableFuture().get(30, TimeUnit.SECONDS).toString());
      joinCluster(system, settings.clusterBootstrap());
      system.log().info("Chorus serving WebSockets on ws://{}:{}/socket/websocket",
          httpAddress.getHostString(), httpAddress.getPort());
      system.log().info("Cluster link of {}: {}", Cluster.get(system).selfMember().address(), ClusterTls.describe(config));
      return new ChorusNode(system, httpAddress, management, metrics, localRooms);
    } catch (Exception e) {
      system.terminate();
      throw e;
    }
  }

  /**
   * Joins the cluster once the node serves: through Cluster Bootstrap (it needs the management
   * port up), else the configured seed nodes (Pekko joins them by itself), else itself alone.
   */
  private static void joinCluster(ActorSystem<Void> system, boolean bootstrap) {
    if (bootstrap) {
      ClusterBootstrap.get(Adapter.toClassic(system)).start();
    } else if (system.settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
  }

  /**
   * The drain runs as the first phase of CoordinatedShutdown, whatever started it: gradually
   * for SIGTERM and the admin API's drain, at once when the cluster removed this node (there is
   * no cluster left to serve its clients) or the node is closed in-process.
   */
  /**
   * The node's webhook sender (null when chorus.webhooks.url is empty), stopped with the actor
   * system; an unsigned one warns in profile prod.
   */
  private static WebhookSender startWebhooks(ActorSystem<Void> system, WebhookSettings settings, Config chorus, Metrics metrics) {
    if (!settings.enabled()) return null;
    if (settings.secret().isEmpty() && "prod".equals(chorus.getString("profile"))) {
      system.log().warn("chorus.webhooks.secret is empty: webhook requests go unsigned, and the backend cannot tell"
          + " them from anyone's. Set CHORUS_WEBHOOKS_SECRET.");
    }
    WebhookSender sender = new WebhookSender(settings, Cluster.get(system).selfMember().address().toString(), metrics.registry());
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "chorus-webhooks-stop",
        () -> {
          sender.close();
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    return sender;
  }

  private static void addDrainTask(ActorSystem<Void> system, ActorRef<Drainer.Command> drainer, Config config) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    Duration phase = config.getDuration("pekko.coordinated-shutdown.phases.before-service-unbind.timeout");
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "chorus-drain", () -> {
      var reason = shutdown.getShutdownReason().orElse(CoordinatedShutdown.unknownReason());
      boolean gradually = reason == AdminRoutes.DRAIN_REQUESTED || reason == CoordinatedShutdown.jvmExitReason();
      system.log().info("Draining WebSockets ({}, reason {})", gradually ? "gradually" : "at once", reason);
      return AskPattern.<Drainer.Command, Done>ask(drainer, r -> new Drainer.Drain(!gradually, r), phase, system.scheduler());
    });
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
