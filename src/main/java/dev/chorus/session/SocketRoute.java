package dev.chorus.session;

import dev.chorus.auth.Authenticator;
import dev.chorus.auth.Identity;
import dev.chorus.auth.TokenVerifier;
import dev.chorus.ops.Metrics;
import dev.chorus.room.LocalRooms;
import dev.chorus.room.Namespaces;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.http.impl.engine.server.UpgradeToOtherProtocolResponseHeader;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Connection;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * The WebSocket endpoint: completes the upgrade handshake (RFC 6455 §4.2.2) and hands the
 * connection's bytes to a {@link WebSocketConnection} stage with its own {@link Session}.
 *
 * <p>Pekko HTTP validates the upgrade request (it marks it with the {@code webSocketUpgrade}
 * attribute). From there on Chorus speaks the WebSocket framing itself, through Pekko HTTP's
 * hook for switching a connection to another protocol, see {@link WebSocketConnection}.
 */
public final class SocketRoute {
  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final HttpHeader UPGRADE = RawHeader.create("Upgrade", "websocket");
  private static final HttpHeader CONNECTION = Connection.create("upgrade");

  private final ActorSystem<?> system;
  private final ConnectionSettings settings;
  private final ActorRef<LocalRooms.Command> rooms;
  private final Namespaces namespaces;
  private final Metrics metrics;
  private final Connections connections;
  private final Authenticator authenticator;
  private final ConnectRateLimiter connectRate;
  private final AtomicLong sessionIds = new AtomicLong();

  public SocketRoute(
      ActorSystem<?> system,
      ConnectionSettings settings,
      ActorRef<LocalRooms.Command> rooms,
      Namespaces namespaces,
      Metrics metrics,
      Connections connections,
      Authenticator authenticator) {
    this.system = system;
    this.settings = settings;
    this.rooms = rooms;
    this.namespaces = namespaces;
    this.metrics = metrics;
    this.connections = connections;
    this.authenticator = authenticator;
    this.connectRate = new ConnectRateLimiter(settings.connectRatePerIp(), settings.connectBurstPerIp(), settings.trackedIps());
  }

  /** Answers a request for {@code /socket/websocket}. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public HttpResponse upgrade(HttpRequest request, String remoteAddress) {
    var key = request.getHeader("sec-websocket-key");
    if (request.getAttribute(AttributeKeys.webSocketUpgrade).isEmpty() || key.isEmpty()) {
      return HttpResponse.create()
          .withStatus(StatusCodes.BAD_REQUEST)
          .withEntity("expected a WebSocket upgrade request");
    }
    Admission admission = admit(request.getUri().query().toMap(), remoteAddress);
    if (admission.refusal() != null) {
      return HttpResponse.create().withStatus(StatusCodes.get(admission.status())).withEntity(admission.refusal());
    }
    ConnectParams params = admission.params();
    OutboundQueue queue = admission.queue();
    Flow<org.apache.pekko.util.ByteString, org.apache.pekko.util.ByteString, ?> flow =
        Flow.fromGraph(new WebSocketConnection(settings, metrics, queue, q -> spawnSession(q, params)));
    return HttpResponse.create()
        .withStatus(StatusCodes.SWITCHING_PROTOCOLS)
        .addHeaders(List.of(
            UPGRADE,
            CONNECTION,
            RawHeader.create("Sec-WebSocket-Accept", acceptKey(key.get().value())),
            new UpgradeToOtherProtocolResponseHeader((org.apache.pekko.stream.scaladsl.Flow) flow.asScala())));
  }

  /**
   * The outcome of an upgrade request that passed the WebSocket handshake checks: the
   * connection's params and queue, or an HTTP status and the reason it is refused.
   */
  record Admission(ConnectParams params, OutboundQueue queue, int status, String refusal) {
    static Admission refused(int status, String reason) {
      return new Admission(null, null, status, reason);
    }
  }

  /**
   * Decides an upgrade, for both transports: 503 while draining, 400 for another protocol
   * version, 429 over the IP's connect rate, 403 for a missing or bad token, 429 over the user's
   * connections; each refusal counted by reason.
   */
  Admission admit(Map<String, String> query, String remoteAddress) {
    if (connections.draining()) return refused(503, DRAINING, "draining");
    String refusal = refusal(query);
    if (refusal != null) return refused(400, refusal, "version");
    if (!connectRate.tryConnect(ipOf(remoteAddress))) return refused(429, "connect rate exceeded", "ip_rate");
    Identity identity;
    try {
      identity = authenticator.authenticate(query.get("token"));
    } catch (TokenVerifier.InvalidTokenException e) {
      return refused(403, e.getMessage(), "token");
    }
    ConnectParams params = ConnectParams.of(query, remoteAddress, identity);
    OutboundQueue queue = connections.newQueue(settings, metrics, params.userId());
    if (queue == null) return refused(429, "too many connections for this user", "user_limit");
    return new Admission(params, queue, 101, null);
  }

  private Admission refused(int status, String reason, String label) {
    metrics.connectionRefused(label);
    return Admission.refused(status, reason);
  }

  /** The IP address of "/1.2.3.4:5678", "1.2.3.4:5678" or "[::1]:5678". */
  static String ipOf(String address) {
    String a = address.startsWith("/") ? address.substring(1) : address;
    int colon = a.lastIndexOf(':');
    if (colon > 0 && a.indexOf(':') == colon || a.startsWith("[")) a = a.substring(0, colon);
    return a.replace("[", "").replace("]", "");
  }

  /** Why an upgrade is refused with HTTP 503 while the node drains. */
  static final String DRAINING = "this node is draining: connect to another node";

  /** Why an upgrade with these query parameters is refused (HTTP 400), or null. */
  static String refusal(Map<String, String> query) {
    String vsn = query.getOrDefault("vsn", "2.0.0");
    return vsn.startsWith("2.") ? null
        : "unsupported protocol version vsn=" + vsn + ": Chorus speaks Phoenix Channels 2.0.0";
  }

  ConnectionSettings settings() {
    return settings;
  }

  Metrics metrics() {
    return metrics;
  }

  ActorRef<Session.Command> spawnSession(OutboundQueue queue, ConnectParams params) {
    return system.systemActorOf(
        Session.create(settings, queue, rooms, namespaces, metrics, params),
        "session-" + sessionIds.incrementAndGet(),
        Props.empty());
  }

  static String acceptKey(String key) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      byte[] digest = sha1.digest((key.trim() + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every JDK", e);
    }
  }
}
