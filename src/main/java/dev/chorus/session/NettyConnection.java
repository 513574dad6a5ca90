package dev.chorus.session;

import dev.chorus.ops.Metrics;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;

/**
 * One WebSocket connection on the Netty transport: the same behaviour as
 * {@link WebSocketConnection} (frame reader, session, outbound queue, rate, idle and close
 * timers, close codes), but a wake-up is one task on the connection's event loop and a batch is
 * one write, instead of an async callback, a stream boundary and a Pekko IO actor message.
 */
final class NettyConnection extends ChannelInboundHandlerAdapter {
  private final ConnectionSettings settings;
  private final Metrics metrics;
  private final OutboundQueue queue;
  private final Function<OutboundQueue, ActorRef<Session.Command>> sessionFactory;
  private final WebSocketFrameReader reader;
  private final TokenBucket inboundRate;
  private final long idleNanos;
  private ChannelHandlerContext ctx;
  private ActorRef<Session.Command> session;
  private long lastInbound = System.nanoTime();
  private int rateViolations;
  private CloseReason closing;
  private boolean closeFrameSent;
  private boolean peerClosed;
  private boolean peerBroken;
  private ScheduledFuture<?> idleTimer;
  private final Runnable flushTask = this::write;

  NettyConnection(
      ConnectionSettings settings,
      Metrics metrics,
      OutboundQueue queue,
      Function<OutboundQueue, ActorRef<Session.Command>> sessionFactory) {
    this.settings = settings;
    this.metrics = metrics;
    this.queue = queue;
    this.sessionFactory = sessionFactory;
    this.reader = new WebSocketFrameReader(settings.maxFrameBytes());
    this.inboundRate = new TokenBucket(settings.inboundRate(), settings.inboundBurst());
    this.idleNanos = settings.idleTimeout().toNanos();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    metrics.connectionsOpened.increment();
    session = sessionFactory.apply(queue);
    queue.attach(() -> ctx.channel().eventLoop().execute(flushTask));
    idleTimer = ctx.executor().schedule(this::checkIdle, idleNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf buf = (ByteBuf) msg;
    try {
      if (peerClosed || peerBroken) return;
      lastInbound = System.nanoTime();
      byte[] bytes = new byte[buf.readableBytes()];
      buf.readBytes(bytes);
      reader.feed(ByteString.fromArrayUnsafe(bytes));
      WebSocketFrameReader.Event event;
      while (!peerClosed && (event = reader.poll()) != null) handle(event);
    } finally {
      buf.release();
    }
  }

  private void handle(WebSocketFrameReader.Event event) {
    if (event instanceof WebSocketFrameReader.Text text) {
      onText(text.payload());
    } else if (event instanceof WebSocketFrameReader.Ping ping) {
      queue.offer(WebSocketFrames.pong(ping.payload()));
    } else if (event instanceof WebSocketFrameReader.Binary) {
      queue.close(CloseReason.BINARY_UNSUPPORTED, false);
    } else if (event instanceof WebSocketFrameReader.Violation v) {
      peerBroken = true; // the reader reads nothing more: end once our close frame is out
      queue.close(v.reason(), false);
    } else if (event instanceof WebSocketFrameReader.Close c) {
      peerClosed = true;
      if (closeFrameSent) ctx.close();
      else queue.close(c.code() == 1005 || c.code() < 1000 ? CloseReason.NORMAL : new CloseReason(c.code(), ""), false);
    }
  }

  private void onText(ByteString message) {
    if (closing != null) return;
    if (inboundRate.tryTake()) {
      try {
        session.tell(new Session.ClientFrame(FrameCodec.decode(message)));
      } catch (ProtocolException e) {
        session.tell(new Session.BadFrame(e));
      }
      return;
    }
    metrics.rateLimited.increment();
    if (++rateViolations > settings.floodTolerance()) {
      queue.close(CloseReason.RATE_LIMITED, false);
      return;
    }
    try {
      var frame = FrameCodec.decode(message);
      if (frame.ref() != null) {
        queue.offer(WebSocketFrames.text(FrameCodec.replyError(frame.joinRef(), frame.ref(), frame.topic(), "rate limited")));
      }
    } catch (ProtocolException e) {
      // an over-rate frame that is also malformed gets no more attention than the rate error
    }
  }

  /** Writes what is queued while the socket takes it; then the close frame of a requested close. */
  private void write() {
    if (closeFrameSent || !ctx.channel().isActive()) return;
    CloseReason requested = queue.closeRequest();
    if (requested != null && closing == null) {
      closing = requested;
      // A slow consumer's socket may never drain; give up on it after the close timeout.
      ctx.executor().schedule(this::abort, settings.closeTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }
    boolean wrote = false;
    while (ctx.channel().isWritable()) {
      ByteString batch = queue.poll(settings.writeBatchBytes());
      if (batch == null) {
        if (closing != null) {
          ctx.write(Unpooled.wrappedBuffer(WebSocketFrames.close(closing).toArrayUnsafe()));
          closeFrameSent = true;
          wrote = true;
        }
        break;
      }
      ctx.write(Unpooled.wrappedBuffer(batch.toArrayUnsafe()));
      wrote = true;
    }
    if (!wrote) return;
    if (closeFrameSent && (peerClosed || peerBroken)) {
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.flush();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) write();
  }

  private void checkIdle() {
    long idle = System.nanoTime() - lastInbound;
    if (idle >= idleNanos) queue.close(CloseReason.IDLE_TIMEOUT, false);
    else idleTimer = ctx.executor().schedule(this::checkIdle, idleNanos - idle, TimeUnit.NANOSECONDS);
  }

  /** Aborts the TCP connection (RST), releasing its kernel buffers. */
  private void abort() {
    if (!ctx.channel().isActive()) return;
    ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (idleTimer != null) idleTimer.cancel(false);
    queue.terminate();
    metrics.connectionClosed(closing == null ? "peer" : closing.label());
    if (session != null) session.tell(new Session.ConnectionClosed());
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close(); // a reset by the peer or similar: nothing to report to it
  }
}
