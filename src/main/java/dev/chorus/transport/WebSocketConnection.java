package dev.chorus.transport;

import dev.chorus.metrics.Metrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.util.ByteString;

/**
 * One WebSocket connection, after its upgrade: the last handler of its Netty pipeline, and the
 * only code that runs on its event loop. It reads the client's frames (pings answered; text and
 * binary messages handed to the session through {@link ClientMessages}, within the inbound rate; every breach of the
 * protocol or of a bound turned into a close request on the {@link OutboundQueue}), closes a
 * silent connection, and drains the queue into the socket while the socket takes it; a socket
 * that stops taking it is closed after the stall timeout ({@link StallWatch}). A close ends with
 * the close frame, and a peer that does not answer it is cut off after the close timeout.
 */
final class WebSocketConnection extends ChannelInboundHandlerAdapter {
  private final ConnectionSettings settings;
  private final Metrics metrics;
  private final OutboundQueue queue;
  private final Sessions sessions;
  private final ConnectParams params;
  private final ClientMessages messages;
  private final long idleNanos;
  private final Runnable writeTask = this::write;
  private WebSocketFrameReader reader;
  private Sessions.Inbound session;
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> idleTimer;
  private final StallWatch stall;
  private ScheduledFuture<?> stallTimer; // set while bytes wait in Netty's buffer
  private long lastInbound = System.nanoTime();
  private boolean peerClosed; // the client sent its close frame
  private boolean peerBroken; // the client broke the protocol: nothing more is read, no close echo will come
  private CloseReason closing; // set once the writer has seen the close request
  private boolean closeFrameSent;

  WebSocketConnection(ConnectionSettings settings, Metrics metrics, OutboundQueue queue, Sessions sessions, ConnectParams params) {
    this.settings = settings;
    this.metrics = metrics;
    this.queue = queue;
    this.sessions = sessions;
    this.params = params;
    this.messages = new ClientMessages(queue, settings, metrics);
    this.idleNanos = settings.idleTimeout().toNanos();
    this.stall = new StallWatch(settings.outboundStallTimeout().toNanos(), System.nanoTime());
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.reader = new WebSocketFrameReader(settings.maxFrameBytes(), ctx.alloc());
    metrics.connectionsOpened.increment();
    session = sessions.open(queue, params, Sessions.WEBSOCKET);
    // One task per wake-up and connection: Netty interleaves them with its I/O. (One task per
    // event loop writing every ready connection was tried: it starved the loop's reads under
    // load, p99 2x worse at 100 000 deliveries/s; docs/benchmarks.md.)
    queue.attach(() -> ctx.channel().eventLoop().execute(writeTask));
    scheduleIdleCheck(idleNanos);
    // The close future completes even for a channel that closed before this handler was added.
    ctx.channel().closeFuture().addListener(f -> ended());
  }

  // ---- reading ----

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf bytes = (ByteBuf) msg;
    if (peerClosed || peerBroken) {
      bytes.release();
      return;
    }
    lastInbound = System.nanoTime();
    reader.feed(bytes);
    WebSocketFrameReader.Event event;
    while (!peerClosed && (event = reader.poll()) != null) {
      if (event instanceof WebSocketFrameReader.Text text) {
        messages.deliver(text.payload(), false, session);
      } else if (event instanceof WebSocketFrameReader.Ping ping) {
        if (queue.closeRequest() == null && messages.withinRate()) queue.offer(WebSocketFrames.pong(ping.payload()));
      } else if (event instanceof WebSocketFrameReader.Pong) {
        if (queue.closeRequest() == null) messages.withinRate(); // needs no answer, but counts like any frame
      } else if (event instanceof WebSocketFrameReader.Binary binary) {
        messages.deliver(binary.payload(), true, session);
      } else if (event instanceof WebSocketFrameReader.Violation v) {
        peerBroken = true; // end as soon as our close frame is written
        queue.close(v.reason(), false);
      } else if (event instanceof WebSocketFrameReader.Close c) {
        peerClosed = true;
        // Echo the peer's code (RFC 6455 §5.5.1); when we started the close, we are done.
        if (closeFrameSent) {
          ctx.close();
          return;
        }
        queue.close(c.code() == 1005 || c.code() < 1000 ? CloseReason.NORMAL : new CloseReason(c.code(), ""), false);
      }
    }
  }

  /** Closes the connection (4001) when nothing came in for the idle timeout. */
  private void scheduleIdleCheck(long nanos) {
    idleTimer = ctx.executor().schedule(() -> {
      long idle = System.nanoTime() - lastInbound;
      if (idle < idleNanos) {
        scheduleIdleCheck(idleNanos - idle);
      } else {
        queue.close(CloseReason.IDLE_TIMEOUT, false);
      }
    }, nanos, TimeUnit.NANOSECONDS);
  }

  // ---- writing ----

  /**
   * Writes what is queued while the socket takes it (Netty gathers the buffers into one
   * writev), then, once the queue is drained and the connection is closing, the close frame.
   */
  private void write() {
    if (!ctx.channel().isActive()) return;
    long now = System.nanoTime();
    stall.observe(socketPending(), now);
    if (closing == null && !closeFrameSent && (closing = queue.closeRequest()) != null) {
      // The peer may never answer, or a slow consumer's socket never drain: the close has a deadline.
      long deadline = closing.code() == CloseReason.SLOW_CONSUMER.code() ? spread(settings.slowCloseTimeout()) : settings.closeTimeout().toNanos();
      ctx.executor().schedule(this::abort, deadline, TimeUnit.NANOSECONDS);
    }
    boolean wrote = false;
    ByteBuf next;
    while (ctx.channel().isWritable() && (next = nextWrite()) != null) {
      ctx.write(next, ctx.voidPromise());
      wrote = true;
    }
    if (!wrote) return;
    if (closeFrameSent && (peerClosed || peerBroken)) {
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.flush();
    }
    watchSocket(now);
  }

  /**
   * After a write: reports what the socket has not taken to the queue (the node's backlog), and
   * when bytes wait, makes sure the stall check will run.
   */
  private void watchSocket(long now) {
    long pending = socketPending();
    queue.socketBacklog(pending);
    stall.observe(pending, now);
    if (pending > 0 && stallTimer == null) scheduleStallCheck(stall.remaining(now));
  }

  private void scheduleStallCheck(long nanos) {
    stallTimer = ctx.executor().schedule(this::checkStall, nanos, TimeUnit.NANOSECONDS);
  }

  /** Closes the connection as a slow consumer (4000) when its socket has stalled ({@link StallWatch}). */
  private void checkStall() {
    stallTimer = null;
    if (!ctx.channel().isActive() || queue.closeRequest() != null) return; // a closing one is cut off by the close timeout
    long now = System.nanoTime();
    long pending = socketPending();
    queue.socketBacklog(pending);
    switch (stall.check(pending, now)) {
      case DRAINED -> { }
      case WAITING -> scheduleStallCheck(stall.remaining(now));
      case STALLED -> queue.closeSlow(SlowReason.STALLED);
    }
  }

  /** Bytes written to Netty's buffer that the socket has not taken yet (with Netty's small per-write overhead). */
  private long socketPending() {
    ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
    return out == null ? 0 : out.totalPendingWriteBytes();
  }

  private ByteBuf nextWrite() {
    if (closeFrameSent) return null;
    ByteBuf batch = queue.poll(settings.writeBatchBytes());
    if (batch != null || closing == null) return batch;
    closeFrameSent = true;
    return WebSocketFrames.close(closing);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) write();
  }

  /**
   * A slow consumer's abort lands anywhere between one and two slow-close-timeouts: clients that
   * stalled together (one bad network, one overloaded proxy) were found stalled together, and
   * tearing down thousands of connections in the same instant would stall the healthy ones.
   */
  private static long spread(Duration timeout) {
    long nanos = timeout.toNanos();
    return nanos + ThreadLocalRandom.current().nextLong(nanos + 1);
  }

  /** Aborts the TCP connection (RST), releasing its kernel buffers. */
  private void abort() {
    if (!ctx.channel().isActive()) return;
    ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
    ctx.close();
  }

  // ---- the end ----

  /** The connection has ended, whoever ended it: free the queue, count it, tell the session. */
  private void ended() {
    if (idleTimer != null) idleTimer.cancel(false);
    if (stallTimer != null) stallTimer.cancel(false);
    reader.release();
    queue.terminate();
    metrics.connectionClosed(closing == null ? "peer" : closing.label());
    session.closed();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close(); // a reset by the peer or similar: nothing to report to it
  }
}
