package dev.chorus.transport;

import dev.chorus.metrics.Metrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The first handler of every connection on the WebSocket port, before the HTTP codec, until the
 * upgrade removes it. At accept it counts the connection in {@link OpenSockets} and refuses one
 * over its address's limit (429) or the node's (503) at once, before reading a byte; and it
 * closes a connection that has not completed its request within the handshake timeout (408),
 * whether it sent nothing, half a request, or trickles one byte at a time. The count lasts
 * until the connection closes, WebSocket or not.
 */
final class SocketGate extends ChannelInboundHandlerAdapter {
  static final String NAME = "gate";
  static final String HANDSHAKE_TIMEOUT = "handshake_timeout";
  static final String NODE_LIMIT_TEXT = "this node is at its connection limit: connect to another node";
  static final String IP_LIMIT_TEXT = "too many open connections from this address";
  static final String TIMEOUT_TEXT = "handshake timeout: the request did not arrive in time";
  /**
   * A refused connection is half-closed after its answer and closed this much later, so that a
   * client that sent its request meanwhile reads the answer rather than a reset.
   */
  private static final long LINGER_MILLIS = 1000;

  private final OpenSockets sockets;
  private final Duration timeout;
  private final Metrics metrics;
  private ScheduledFuture<?> deadline;
  private ChannelHandlerContext ctx;
  private boolean requestRead;

  SocketGate(OpenSockets sockets, Duration timeout, Metrics metrics) {
    this.sockets = sockets;
    this.timeout = timeout;
    this.metrics = metrics;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    Channel ch = ctx.channel();
    String ip = ipOf(ch.remoteAddress());
    String refusal = sockets.tryOpen(ip);
    if (refusal != null) {
      metrics.connectionRefused(refusal);
      boolean node = refusal.equals(OpenSockets.NODE_LIMIT);
      refuse(ctx, node ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.TOO_MANY_REQUESTS,
          node ? NODE_LIMIT_TEXT : IP_LIMIT_TEXT);
      return;
    }
    ch.closeFuture().addListener(f -> sockets.closed(ip));
    this.ctx = ctx;
    deadline = ctx.executor().schedule(() -> timedOut(ctx), timeout.toNanos(), TimeUnit.NANOSECONDS);
    ctx.fireChannelActive();
  }

  /** The handshake handler has the whole request: from now on the deadline only closes. */
  void requestRead() {
    requestRead = true;
  }

  /**
   * The request read is one whose answer may take a while by design (a LongPoll poll waits for
   * messages): the deadline moves to {@code answerTimeout} from now, and then only closes.
   */
  void answerWithin(Duration answerTimeout) {
    requestRead = true;
    cancel();
    if (ctx != null) deadline = ctx.executor().schedule(() -> timedOut(ctx), answerTimeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void timedOut(ChannelHandlerContext ctx) {
    if (ctx.isRemoved() || !ctx.channel().isActive()) return;
    if (requestRead) {
      // Its answer (a page, a refusal) is still being written to a client that does not read.
      ctx.channel().close();
      return;
    }
    metrics.connectionRefused(HANDSHAKE_TIMEOUT);
    ctx.channel().config().setAutoRead(false);
    ctx.writeAndFlush(response(HttpResponseStatus.REQUEST_TIMEOUT, TIMEOUT_TEXT)).addListener(ChannelFutureListener.CLOSE);
  }

  private static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String text) {
    Channel ch = ctx.channel();
    ch.config().setAutoRead(false); // nothing of the request is read
    ctx.writeAndFlush(response(status, text)).addListener(f -> {
      if (ch instanceof DuplexChannel duplex && ch.isActive()) duplex.shutdownOutput();
      ch.eventLoop().schedule(() -> ch.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
    });
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancel();
  }

  private void cancel() {
    if (deadline != null) deadline.cancel(false);
  }

  /** A whole HTTP response, written below the HTTP codec. */
  static ByteBuf response(HttpResponseStatus status, String text) {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 " + status.code() + " " + status.reasonPhrase() + "\r\n"
        + "Content-Type: text/plain; charset=UTF-8\r\n"
        + "Content-Length: " + body.length + "\r\n"
        + "Connection: close\r\n\r\n";
    return Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body);
  }

  /** The IP address of a peer, without its port ("127.0.0.1", "0:0:0:0:0:0:0:1"). */
  static String ipOf(SocketAddress address) {
    if (address instanceof InetSocketAddress inet && inet.getAddress() != null) return inet.getAddress().getHostAddress();
    return String.valueOf(address);
  }
}
