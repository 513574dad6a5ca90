package dev.chorus.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.bench.ChaosChecker.Position;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One client of a chaos run, across all its connections, behaving as phoenix.js does: when its
 * connection closes or fails it reconnects after {@link PhoenixBackoff#reconnectAfterMillis}, to
 * the next node of the URL list (so a client of a dead or draining node lands on another), and
 * rejoins each of its topics with {@code since} = the last position it saw there; a join refused
 * or unanswered for 10 s is sent again after {@link PhoenixBackoff#rejoinAfterMillis}; a
 * heartbeat unanswered by the next one closes the connection.
 *
 * <p>Everything it learns goes to the {@link ChaosChecker} (join positions, broadcasts) and the
 * {@link ChaosStats}. All its state lives on one event loop, which all its connections use, so
 * nothing here is locked; the few fields read from elsewhere are volatile.
 */
final class ChaosClient {
  /** phoenix.js's default push timeout, which is also its join timeout. */
  static final long JOIN_TIMEOUT_MILLIS = 10_000;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What the clients of a run share. */
  record Context(ClientTransport transport, String topicPrefix, ChaosChecker checker, ChaosStats stats, long heartbeatMillis) {}

  final int id;
  /** Room numbers (the checker's topics), and their topic names. */
  private final int[] rooms;
  private final String[] topics;
  private final Map<String, Integer> topicIndex = new HashMap<>();
  private final Context cx;
  private final EventLoop loop;
  /** The last position seen per topic (join reply, replay, live), sent as {@code since} on a rejoin. */
  private final Position[] last;
  /**
   * Per topic, the epochs it has moved on from: a late broadcast of one of those (in flight when
   * its room restarted) must not take the position back, or the next rejoin would ask to recover
   * from an epoch that is gone.
   */
  private final List<Set<String>> leftEpochs = new ArrayList<>();
  /** Set for a publisher: it pushes through this client's connection. */
  private ChaosPublisher publisher;

  private int node;
  private int reconnectTries;
  private int connections;
  private Connection connection;
  private ScheduledFuture<?> reconnectTimer;
  /** A blip the test asked for ({@link #drop}) keeps the client away until then (System.nanoTime()). */
  private long awayUntilNanos = System.nanoTime();
  private boolean closing;
  private long firstConnectNanos;
  private boolean everInService;
  /** System.nanoTime() when it lost service, while it is without; -1 in service (or never was). */
  private volatile long outageStartNanos = -1;
  private volatile boolean inService;
  private volatile Channel channel;

  ChaosClient(int id, int firstNode, int[] rooms, Context cx) {
    this.id = id;
    this.node = firstNode;
    this.rooms = rooms.clone();
    this.cx = cx;
    this.loop = cx.transport().nextLoop();
    this.topics = new String[rooms.length];
    for (int k = 0; k < rooms.length; k++) {
      topics[k] = cx.topicPrefix() + rooms[k];
      topicIndex.put(topics[k], k);
    }
    this.last = new Position[rooms.length];
    for (int k = 0; k < rooms.length; k++) leftEpochs.add(new HashSet<>(2));
  }

  void attach(ChaosPublisher publisher) {
    this.publisher = publisher;
  }

  EventLoop loop() {
    return loop;
  }

  int roomCount() {
    return rooms.length;
  }

  int room(int k) {
    return rooms[k];
  }

  /** Connected with every topic joined. */
  boolean inService() {
    return inService;
  }

  /** When it lost service, while it is without (System.nanoTime()); -1 otherwise. */
  long outageStartNanos() {
    return outageStartNanos;
  }

  /** Whether its connection is still open (false once {@link #close} has taken effect). */
  boolean isOpen() {
    Channel ch = channel;
    return ch != null && ch.isOpen();
  }

  void start() {
    loop.execute(() -> {
      firstConnectNanos = System.nanoTime();
      connect();
    });
  }

  /** Closes for good: no reconnect after this. */
  void close() {
    loop.execute(() -> {
      closing = true;
      if (reconnectTimer != null) reconnectTimer.cancel(false);
      if (publisher != null) publisher.stop();
      Channel ch = channel;
      if (ch != null && ch.isActive()) {
        ch.writeAndFlush(new CloseWebSocketFrame(1000, "bench done")).addListener(ChannelFutureListener.CLOSE);
      } else if (ch != null) {
        ch.close();
      }
    });
  }

  /**
   * Cuts the connection as a network blip of {@code awayMillis} would; it reconnects (not before
   * that) and recovers as after any loss.
   */
  void drop(long awayMillis) {
    loop.execute(() -> {
      awayUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(awayMillis);
      if (connection != null) connection.cutHere = true;
      Channel ch = channel;
      if (ch != null) ch.close();
    });
  }

  /**
   * Sends a push on topic {@code k} if it is joined now and the socket takes it; returns its
   * ref, or null when it was not sent. On the client's loop.
   */
  String push(int k, String event, String payload) {
    Connection c = connection;
    if (c == null || !c.open || !c.joined[k] || !c.ctx.channel().isWritable()) return null;
    String ref = c.nextRef();
    c.ctx.writeAndFlush(new TextWebSocketFrame(frame(c.joinRef[k], ref, topics[k], event, payload)));
    return ref;
  }

  private void connect() {
    reconnectTimer = null;
    if (closing) return;
    cx.stats().connectAttempts.increment();
    if (connections > 0) cx.stats().reconnectAttempts.increment();
    Connection c = new Connection();
    connection = c;
    ChannelFuture future = cx.transport().open(loop, node, c);
    channel = future.channel();
    future.addListener(f -> {
      if (!f.isSuccess()) c.ended(f.cause() instanceof ConnectException ? "refused" : describe(f.cause()), true);
    });
  }

  /** The last position seen on topic {@code k} is now {@code at}, unless it is behind. */
  private void moveTo(int k, Position at) {
    Position before = last[k];
    if (before == null || (before.epoch().equals(at.epoch()) && at.seq() > before.seq())) {
      last[k] = at;
    } else if (!before.epoch().equals(at.epoch()) && !leftEpochs.get(k).contains(at.epoch())) {
      leftEpochs.get(k).add(before.epoch());
      last[k] = at;
    }
  }

  private void lostService() {
    if (inService) {
      inService = false;
      outageStartNanos = System.nanoTime();
    }
  }

  private void checkService(Connection c) {
    if (inService || !c.open) return;
    for (boolean j : c.joined) if (!j) return;
    long now = System.nanoTime();
    long outage = outageStartNanos;
    if (outage >= 0) cx.stats().outage(now - outage);
    else if (!everInService) cx.stats().firstInService(now - firstConnectNanos);
    outageStartNanos = -1;
    everInService = true;
    inService = true;
  }

  private static String frame(String joinRef, String ref, String topic, String event, String payload) {
    return "[" + quote(joinRef) + "," + quote(ref) + "," + quote(topic) + "," + quote(event) + "," + payload + "]";
  }

  private static String quote(String s) {
    if (s == null) return "null";
    try {
      return JSON.writeValueAsString(s);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static String describe(Throwable cause) {
    if (cause instanceof WebSocketClientHandshakeException h) {
      // Refused upgrades: 503 while a node drains or is overloaded (admission control).
      return h.response() != null ? "http_" + h.response().status().code() : "handshake_refused";
    }
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    if (root instanceof ConnectException) return "refused";
    if (root instanceof IOException) return "io_" + root.getClass().getSimpleName();
    return root.getClass().getSimpleName();
  }

  /** One WebSocket connection of this client: the last handler of its pipeline. */
  private final class Connection extends SimpleChannelInboundHandler<WebSocketFrame> {
    ChannelHandlerContext ctx;
    boolean open;
    boolean ended;
    /** Its number among the client's connections, from 1, once open. */
    int number;
    int closeCode = -1;
    /** Closed by this client (a blip it was asked for, a heartbeat timeout), not by its server. */
    boolean cutHere;
    private int refs;
    final String[] joinRef = new String[rooms.length];
    final boolean[] joined = new boolean[rooms.length];
    /** The since each pending join sent (null: fresh). */
    final Position[] sinceSent = new Position[rooms.length];
    final int[] rejoinTries = new int[rooms.length];
    /** A pending join's timeout, or the wait before a rejoin. */
    final ScheduledFuture<?>[] timers = new ScheduledFuture<?>[rooms.length];
    final Map<String, Integer> pendingJoins = new HashMap<>();
    String heartbeatRef;
    ScheduledFuture<?> heartbeat;

    String nextRef() {
      return Integer.toString(++refs);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
        opened();
      } else if (evt == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
        ended("handshake_timeout", true);
        ctx.close();
      }
      super.userEventTriggered(ctx, evt);
    }

    private void opened() {
      if (ended) return;
      open = true;
      number = ++connections;
      if (connections > 1) cx.stats().reconnected(System.nanoTime());
      reconnectTries = 0; // phoenix.js starts its backoff again once a connection opens
      for (int k = 0; k < rooms.length; k++) join(k, false);
      ctx.flush();
      // Jittered so that a reconnect storm does not heartbeat in step.
      long period = cx.heartbeatMillis();
      long first = period / 2 + ThreadLocalRandom.current().nextLong(Math.max(1, period / 2));
      heartbeat = loop.scheduleAtFixedRate(this::heartbeat, first, period, TimeUnit.MILLISECONDS);
    }

    private void join(int k, boolean flush) {
      if (ended || closing) return;
      String ref = nextRef();
      if (joinRef[k] != null) pendingJoins.remove(joinRef[k]);
      joinRef[k] = ref;
      joined[k] = false;
      Position since = last[k];
      sinceSent[k] = since;
      pendingJoins.put(ref, k);
      String payload = since == null ? "{}" : "{\"since\":{\"epoch\":" + quote(since.epoch()) + ",\"seq\":" + since.seq() + "}}";
      TextWebSocketFrame frame = new TextWebSocketFrame(frame(ref, ref, topics[k], "phx_join", payload));
      if (flush) ctx.writeAndFlush(frame);
      else ctx.write(frame);
      timers[k] = loop.schedule(() -> joinTimedOut(k, ref), JOIN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void joinTimedOut(int k, String ref) {
      if (ended || !ref.equals(joinRef[k]) || joined[k]) return;
      pendingJoins.remove(ref);
      cx.stats().joinTimeouts.increment();
      rejoinLater(k);
    }

    private void rejoinLater(int k) {
      joined[k] = false;
      lostService();
      cancel(k);
      long delay = PhoenixBackoff.rejoinAfterMillis(++rejoinTries[k]);
      timers[k] = loop.schedule(() -> join(k, true), delay, TimeUnit.MILLISECONDS);
    }

    private void cancel(int k) {
      if (timers[k] != null) timers[k].cancel(false);
      timers[k] = null;
    }

    private void heartbeat() {
      if (ended) return;
      if (heartbeatRef != null) {
        // phoenix.js: a heartbeat still unanswered when the next is due closes the connection.
        cx.stats().heartbeatTimeouts.increment();
        cutHere = true;
        ctx.close();
        return;
      }
      heartbeatRef = nextRef();
      ctx.writeAndFlush(new TextWebSocketFrame(frame(null, heartbeatRef, "phoenix", "heartbeat", "{}")));
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
      if (frame instanceof CloseWebSocketFrame close) {
        closeCode = close.statusCode();
        ctx.close();
        return;
      }
      if (!(frame instanceof TextWebSocketFrame)) return;
      JsonNode f;
      try {
        f = JSON.readTree(frame.content().toString(StandardCharsets.UTF_8));
      } catch (IOException e) {
        cx.stats().framesUnrecognised.increment();
        return;
      }
      if (!f.isArray() || f.size() != 5) {
        cx.stats().framesUnrecognised.increment();
        return;
      }
      String event = f.get(3).asText();
      String ref = f.get(1).isNull() ? null : f.get(1).asText();
      if ("phx_reply".equals(event)) {
        reply(ref, f.get(4));
        return;
      }
      Integer k = topicIndex.get(f.get(2).asText());
      if (k == null) return;
      if ("phx_error".equals(event) || "phx_close".equals(event)) {
        // The server ended the current join (a channel failure): phoenix.js rejoins. One for
        // a join already replaced (a duplicate join's phx_close) is no news.
        String jr = f.get(0).isNull() ? null : f.get(0).asText();
        if (jr != null && jr.equals(joinRef[k])) {
          cx.stats().channelErrors.increment();
          rejoinLater(k);
        }
        return;
      }
      Position at = f.get(0).isNull() ? Position.parse(ref) : null;
      if (at == null) return; // presence and other server pushes carry no position
      broadcast(k, at, f.get(4));
    }

    private void broadcast(int k, Position at, JsonNode payload) {
      // Only what arrives for the current, answered join counts: a recovery replays from the
      // since it sent, so anything before its reply would arrive twice.
      if (!joined[k]) {
        cx.stats().ignoredWhileJoining.increment();
        return;
      }
      JsonNode p = payload.get("p"), n = payload.get("n");
      boolean ours = p != null && p.canConvertToInt() && n != null && n.canConvertToLong();
      if (!ours) cx.stats().framesUnrecognised.increment();
      cx.checker().received(id, number, rooms[k], at, ours ? p.asInt() : -1, ours ? n.asLong() : -1);
      moveTo(k, at);
    }

    private void reply(String ref, JsonNode payload) {
      if (ref == null) return;
      boolean ok = "ok".equals(payload.path("status").asText());
      JsonNode response = payload.path("response");
      Integer k = pendingJoins.remove(ref);
      if (k != null) {
        if (ok) joinedAt(k, response);
        else {
          cx.stats().joinError(response.path("reason").asText("?"));
          rejoinLater(k);
        }
      } else if (ref.equals(heartbeatRef)) {
        heartbeatRef = null;
      } else if (publisher != null) {
        publisher.replied(ref, ok, response.path("reason").asText("?"));
      }
    }

    private void joinedAt(int k, JsonNode response) {
      cancel(k);
      Position at = new Position(response.path("epoch").asText(), response.path("seq").asLong());
      JsonNode r = response.get("recovered");
      Boolean recovered = r == null || r.isNull() ? null : r.asBoolean();
      String reason = response.hasNonNull("reason") ? response.get("reason").asText() : null;
      cx.checker().joined(id, rooms[k], sinceSent[k], at, recovered, reason);
      // Recovered: the replay follows and moves the position on; otherwise it starts here.
      if (!Boolean.TRUE.equals(recovered)) moveTo(k, at);
      joined[k] = true;
      rejoinTries[k] = 0;
      checkService(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ended(describe(cause), !open);
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      ended(closeCode > 0 ? "close_" + closeCode : "closed", !open);
      super.channelInactive(ctx);
    }

    /**
     * The connection is over ({@code failed}: before it opened); reconnect unless closing.
     * Called once per connection whatever reports it first.
     */
    void ended(String how, boolean failed) {
      if (ended) return;
      ended = true;
      if (heartbeat != null) heartbeat.cancel(false);
      for (int k = 0; k < rooms.length; k++) cancel(k);
      if (closing) cx.stats().connectionEnded("closed_by_bench");
      else if (failed) cx.stats().connectFailed(how);
      else cx.stats().connectionEnded(how);
      // Its server went away without a word: what only it had delivered may be gone with it.
      if (!closing && !failed && !cutHere && closeCode <= 0) cx.checker().connectionLost(id, number);
      if (publisher != null) publisher.connectionLost();
      if (connection == this) connection = null;
      lostService();
      if (closing) return;
      // phoenix.js's backoff; the next node, so that a client of a node that is gone moves on.
      long delay = Math.max(PhoenixBackoff.reconnectAfterMillis(++reconnectTries),
          TimeUnit.NANOSECONDS.toMillis(awayUntilNanos - System.nanoTime()));
      node = (node + 1) % cx.transport().nodes();
      reconnectTimer = loop.schedule(ChaosClient.this::connect, delay, TimeUnit.MILLISECONDS);
    }
  }
}
