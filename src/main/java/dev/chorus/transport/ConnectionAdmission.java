package dev.chorus.transport;

import dev.chorus.auth.Authenticator;
import dev.chorus.auth.Identity;
import dev.chorus.auth.TokenVerifier;
import dev.chorus.hooks.ConnectHook;
import dev.chorus.hooks.Hook;
import dev.chorus.hooks.HookAnswer;
import dev.chorus.metrics.Metrics;
import dev.chorus.protocol.Vsn;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * Decides whether a WebSocket upgrade becomes a connection: the node is not draining, the
 * protocol version is one Chorus speaks, the page that opens it is allowed ({@link OriginPolicy}),
 * the node is not behind on joins ({@link JoinsInProgress}), the client's address is within its
 * connect rate, its token (if any) is valid, and its user has room for one more connection. An
 * admitted upgrade
 * gets its connection's {@link OutboundQueue}, registered with the node's {@link Connections}.
 *
 * <p>With the node's connect hook on ({@code chorus.hooks.connect}, docs/hooks.md), the backend
 * decides last, before the user's connection limit (its answer may name the user): {@link
 * #admitAsync} asks it and the caller finishes the handshake when it answers.
 */
public final class ConnectionAdmission {
  private final ConnectionSettings settings;
  private final Metrics metrics;
  private final Connections connections;
  private final Authenticator authenticator;
  private final ConnectRateLimiter connectRate;
  private final OriginPolicy origins;
  private final JoinsInProgress joins;
  private final Hook connectHook; // null: off

  public ConnectionAdmission(ConnectionSettings settings, Metrics metrics, Connections connections,
      Authenticator authenticator, OriginPolicy origins, JoinsInProgress joins) {
    this(settings, metrics, connections, authenticator, origins, joins, null);
  }

  public ConnectionAdmission(ConnectionSettings settings, Metrics metrics, Connections connections,
      Authenticator authenticator, OriginPolicy origins, JoinsInProgress joins, Hook connectHook) {
    this.connectHook = connectHook;
    this.origins = origins;
    this.joins = joins;
    this.settings = settings;
    this.metrics = metrics;
    this.connections = connections;
    this.authenticator = authenticator;
    this.connectRate = new ConnectRateLimiter(settings.connectRatePerIp(), settings.connectBurstPerIp(), settings.trackedIps());
  }

  /**
   * The outcome of an upgrade request that passed the WebSocket handshake checks: the
   * connection's params and queue, or an HTTP status and the reason it is refused, with the
   * seconds after which to retry ({@code Retry-After}; 0: none).
   */
  record Admission(ConnectParams params, OutboundQueue queue, int status, String refusal, int retryAfterSeconds) {
    static Admission refused(int status, String reason) {
      return new Admission(null, null, status, reason, 0);
    }
  }

  /**
   * Decides an upgrade from {@code ip} with the given {@code Origin} and {@code Host} headers
   * (null: absent): 503 while draining, 400 for another protocol version, 403 for an origin
   * not allowed, 503 while the node has its bound of joins in progress, 429 over the IP's
   * connect rate, 403 for a missing or bad token, 429 over the user's connections; each refusal
   * counted by reason. The overload check comes after the refusals a retry would not change,
   * and before the connect rate (a refusal that says "retry" must not spend the address's
   * allowance) and the token (its signature is the costliest check, and a storm is when the
   * node can least afford it).
   */
  Admission admit(Map<String, String> query, String ip, String origin, String host) {
    return admit(query, ip, origin, host, AuthToken.NONE);
  }

  /** As {@link #admit(Map, String, String, String)}, with the token the client presented outside its params. */
  Admission admit(Map<String, String> query, String ip, String origin, String host, AuthToken authToken) {
    Checked checked = check(query, ip, origin, host, authToken);
    return checked.refusal() != null ? checked.refusal() : finish(query, checked.identity(), ConnectionIds.next());
  }

  /** Whether upgrades wait for the connect hook ({@link #admitAsync}). */
  boolean hooked() {
    return connectHook != null;
  }

  /**
   * As {@link #admit(Map, String, String, String, AuthToken)}, and then the connect hook's
   * decision; the admission is finished (the queue made) on {@code loop}, the connection's
   * event loop, once the backend answers, unless {@code stillWanted} says the client has gone
   * meanwhile (closed, or the handshake timeout passed): then the stage completes with null.
   * {@code headers} are the upgrade's headers the hook may pass on (lowercase names).
   */
  CompletionStage<Admission> admitAsync(Map<String, String> query, String ip, String origin, String host, AuthToken authToken,
      Map<String, String> headers, String transport, Executor loop, BooleanSupplier stillWanted) {
    Checked checked = check(query, ip, origin, host, authToken);
    if (checked.refusal() != null) return CompletableFuture.completedFuture(checked.refusal());
    long conn = ConnectionIds.next();
    if (connectHook == null) return CompletableFuture.completedFuture(finish(query, checked.identity(), conn));
    Identity token = checked.identity();
    String user = token != null ? token.subject() : query.get("user");
    return connectHook.call(user, ConnectionIds.render(conn), ConnectHook.fields(query, headers, connectHook.settings().headers(), ip, transport, token),
            HookAnswer::verdict)
        .thenApplyAsync(result -> {
          if (!stillWanted.getAsBoolean()) return null;
          ConnectHook.Decision d = ConnectHook.decide(result, token);
          if (d.refusal() != null) return refused(d.status(), d.refusal(), "connect_hook");
          return finish(query, d.identity(), conn);
        }, loop);
  }

  /** What the checks before the connect hook made of an upgrade: a refusal, or its identity (null: anonymous). */
  private record Checked(Admission refusal, Identity identity) {}

  /**
   * The checks before the connect hook, in the order {@link #admit(Map, String, String, String)}
   * explains. With the connect hook on, a missing token is no refusal, even in profile prod:
   * the backend decides instead (a token given is still verified).
   */
  private Checked check(Map<String, String> query, String ip, String origin, String host, AuthToken authToken) {
    if (connections.draining()) return new Checked(refused(503, DRAINING, "draining"), null);
    String refusal = refusal(query);
    if (refusal != null) return new Checked(refused(400, refusal, "version"), null);
    if (!origins.allows(origin, host)) return new Checked(refused(403, ORIGIN_REFUSED, "origin"), null);
    if (joins.full()) {
      metrics.connectionRefused("overloaded");
      return new Checked(new Admission(null, null, 503, OVERLOADED, retryAfterSeconds()), null);
    }
    if (!connectRate.tryConnect(ip)) return new Checked(refused(429, "connect rate exceeded", "ip_rate"), null);
    try {
      return new Checked(null, identify(query, authToken));
    } catch (TokenVerifier.InvalidTokenException e) {
      if (connectHook != null && Authenticator.TOKEN_REQUIRED.equals(e.getMessage())) return new Checked(null, null);
      return new Checked(refused(403, e.getMessage(), "token"), null);
    }
  }

  private Admission finish(Map<String, String> query, Identity identity, long conn) {
    ConnectParams params = ConnectParams.of(query, identity, conn);
    OutboundQueue queue = connections.newQueue(settings, metrics, params.userId());
    if (queue == null) return refused(429, "too many connections for this user", "user_limit");
    queue.vsn(Vsn.of(query.get("vsn")));
    return new Admission(params, queue, 101, null, 0);
  }

  /**
   * The connect decision for a client's token, whichever way it came: the {@code token} connect
   * parameter, or {@code authToken} (phoenix.js's {@code authToken} option: a WebSocket's
   * subprotocol, a LongPoll request's {@code X-Phoenix-AuthToken} header, {@link AuthToken#of}).
   * When both are given, {@code authToken} is the one verified and the parameter is ignored: it
   * is the newer way, which keeps the token out of URLs and their logs, and phoenix.js
   * evaluates it afresh on every connect. A malformed {@code authToken} is refused even where
   * a token would not be checked (profile dev without a key): the client is broken.
   *
   * @return the connection's identity, null for an anonymous one
   * @throws TokenVerifier.InvalidTokenException why the upgrade is refused (HTTP 403, counted as "token")
   */
  Identity identify(Map<String, String> query, AuthToken authToken) throws TokenVerifier.InvalidTokenException {
    if (authToken.malformed()) throw new TokenVerifier.InvalidTokenException(TokenVerifier.MALFORMED);
    return authenticator.authenticate(authToken.token() != null ? authToken.token() : query.get("token"));
  }

  private Admission refused(int status, String reason, String label) {
    metrics.connectionRefused(label);
    return Admission.refused(status, reason);
  }

  /** Why an upgrade from a page of another site is refused (HTTP 403). */
  static final String ORIGIN_REFUSED = "origin not allowed (chorus.http.allowed-origins)";

  /** Why an upgrade is refused with HTTP 503 while the node has its bound of joins in progress. */
  static final String OVERLOADED = "overloaded: too many joins in progress, retry later";

  /**
   * The Retry-After of an overloaded refusal: 1 to 5 s, at random so that clients that honour
   * it do not all come back in the same second. Joins in progress end within
   * chorus.room.join-timeout (9 s by default) at the latest. (phoenix.js never sees it, since
   * a browser's WebSocket does not expose the response: it retries on its own backoff.)
   */
  static int retryAfterSeconds() {
    return ThreadLocalRandom.current().nextInt(1, 6);
  }

  /** Why an upgrade is refused with HTTP 503 while the node drains. */
  static final String DRAINING = "this node is draining: connect to another node";

  /** Why an upgrade with these query parameters is refused (HTTP 400), or null. */
  static String refusal(Map<String, String> query) {
    String vsn = query.get("vsn");
    return Vsn.of(vsn) != null ? null
        : "unsupported protocol version vsn=" + vsn + ": Chorus speaks Phoenix Channels 2.0.0 and 1.0.0";
  }

  ConnectionSettings settings() {
    return settings;
  }

  Metrics metrics() {
    return metrics;
  }

  Connections connections() {
    return connections;
  }
}
