package dev.chorus.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One bench connection: the last handler of its Netty pipeline. It joins its topics once the
 * WebSocket handshake is done, heartbeats while open, hands broadcasts to its {@link Listener}
 * untouched (no JSON parse), and remembers how it ended (close code, reset) for the report.
 */
final class PhoenixClient extends SimpleChannelInboundHandler<WebSocketFrame> {
  /** Called on the connection's event loop. */
  interface Listener {
    default void joined(PhoenixClient client) {}

    /** Connect, handshake or join failed; called at most once, never after {@link #joined}. */
    default void failed(PhoenixClient client, String reason) {}

    /** A frame {@code [null,null,…]}; the buffer is only valid during the call. */
    default void broadcast(PhoenixClient client, ByteBuf frame) {}

    /** A reply with status other than ok to something other than a join (e.g. "rate limited"). */
    default void errorReply(PhoenixClient client, String reply) {}

    default void closed(PhoenixClient client) {}
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  final int id;
  final boolean slow;
  final List<String> topics;
  private final Listener listener;
  private final long heartbeatMillis;
  /** Value of System.nanoTime() when the TCP connect was started (set by {@link #markStart}). */
  volatile long startNanos;

  private volatile Channel channel;
  private boolean[] topicJoined;
  private int joinsPending;
  private volatile boolean joined;
  private volatile boolean failed;
  private volatile boolean closedByUs;
  private volatile boolean inactive;
  private volatile int closeCode = -1;
  private volatile boolean reset;
  /** System.nanoTime() when it stopped reading, resumed, and when its connection ended; 0 until then. */
  private volatile long stoppedNanos, resumedNanos, endedNanos;
  private ScheduledFuture<?> heartbeat;

  PhoenixClient(int id, boolean slow, List<String> topics, long heartbeatMillis, Listener listener) {
    this.id = id;
    this.slow = slow;
    this.topics = topics;
    this.heartbeatMillis = heartbeatMillis;
    this.listener = listener;
  }

  void attach(Channel channel) {
    this.channel = channel;
  }

  void markStart() {
    startNanos = System.nanoTime();
  }

  Channel channel() {
    return channel;
  }

  boolean isJoined() {
    return joined;
  }

  boolean isInactive() {
    return inactive;
  }

  /** The server ended the connection (close frame, reset or FIN) before we closed it. */
  boolean closedByServer() {
    return inactive && !closedByUs;
  }

  int closeCode() {
    return closeCode;
  }

  boolean wasReset() {
    return reset;
  }

  void connectFailed(Throwable cause) {
    fail("connect: " + describe(cause));
  }

  /** Stops reading from the socket, so the server's outbound queue for us grows (slow consumer). */
  void stopReading() {
    Channel ch = channel;
    if (ch != null) ch.config().setAutoRead(false);
    stoppedNanos = System.nanoTime();
  }

  void resumeReading() {
    resumedNanos = System.nanoTime();
    Channel ch = channel;
    if (ch != null) ch.config().setAutoRead(true);
  }

  /**
   * How long after it stopped reading the server ended its connection, in nanoseconds, when
   * it did so while this client was still not reading (a reset: a close frame or FIN would wait
   * behind the bytes it has not read); -1 otherwise.
   */
  long endedAfterStopNanos() {
    long stopped = stoppedNanos, ended = endedNanos, resumed = resumedNanos;
    if (stopped == 0 || ended == 0 || !closedByServer() || (resumed != 0 && ended >= resumed)) return -1;
    return ended - stopped;
  }

  /** Closes politely (close frame 1000, then TCP close). */
  void close() {
    closedByUs = !inactive;
    Channel ch = channel;
    if (ch == null || !ch.isActive()) return;
    ch.writeAndFlush(new CloseWebSocketFrame(1000, "bench done")).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
      topicJoined = new boolean[topics.size()];
      joinsPending = topics.size();
      for (int i = 0; i < topics.size(); i++) {
        ctx.write(new TextWebSocketFrame(PhoenixFrames.join(Integer.toString(i + 1), topics.get(i))));
      }
      ctx.flush();
      // Jittered so that thousands of idle connections do not heartbeat in the same instant.
      long first = heartbeatMillis / 2 + ThreadLocalRandom.current().nextLong(Math.max(1, heartbeatMillis / 2));
      heartbeat = ctx.executor().scheduleAtFixedRate(
          () -> ctx.writeAndFlush(new TextWebSocketFrame(PhoenixFrames.heartbeat())),
          first, heartbeatMillis, TimeUnit.MILLISECONDS);
    } else if (evt == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
      fail("handshake timeout");
      ctx.close();
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
    if (frame instanceof TextWebSocketFrame) {
      ByteBuf content = frame.content();
      if (PhoenixFrames.isBroadcast(content)) {
        listener.broadcast(this, content);
      } else {
        reply(content.toString(StandardCharsets.UTF_8));
      }
    } else if (frame instanceof CloseWebSocketFrame close) {
      closeCode = close.statusCode();
      ctx.close();
    }
  }

  /** Replies are rare (joins, heartbeats, errors), so they may be parsed fully. */
  private void reply(String text) {
    JsonNode frame;
    try {
      frame = JSON.readTree(text);
    } catch (IOException e) {
      return;
    }
    if (!frame.isArray() || frame.size() < 5 || !"phx_reply".equals(frame.get(3).asText())) return;
    String status = frame.get(4).path("status").asText();
    String ref = frame.get(1).isNull() ? null : frame.get(1).asText();
    int joinIndex = joinIndexOf(frame.get(0), ref);
    if (joinIndex >= 0 && !topicJoined[joinIndex] && joinsPending > 0) {
      if (!"ok".equals(status)) {
        fail("join " + topics.get(joinIndex) + ": " + frame.get(4));
        channel.close();
        return;
      }
      topicJoined[joinIndex] = true;
      if (--joinsPending == 0 && !failed) {
        joined = true;
        listener.joined(this);
      }
    } else if (!"ok".equals(status) && !"phoenix".equals(frame.get(2).asText())) {
      listener.errorReply(this, text);
    }
  }

  /** Join replies carry ref == join_ref == index + 1. */
  private int joinIndexOf(JsonNode joinRef, String ref) {
    if (ref == null || topicJoined == null || joinRef.isNull() || !ref.equals(joinRef.asText())) return -1;
    try {
      int i = Integer.parseInt(ref) - 1;
      return i >= 0 && i < topics.size() ? i : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    endedNanos = System.nanoTime();
    inactive = true;
    if (heartbeat != null) heartbeat.cancel(false);
    if (!joined) fail(closeCode > 0 ? "closed " + closeCode + " before join" : "closed before join");
    listener.closed(this);
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException) reset = true;
    if (!joined) fail(describe(cause));
    ctx.close();
  }

  private void fail(String reason) {
    if (joined || failed) return;
    failed = true;
    listener.failed(this, reason);
  }

  private static String describe(Throwable cause) {
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
