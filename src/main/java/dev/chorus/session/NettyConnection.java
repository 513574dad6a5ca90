package dev.chorus.session;

import dev.chorus.ops.Metrics;
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
  private final ClientInput input;
  private final long idleNanos;
  private ChannelHandlerContext ctx;
  private ActorRef<Session.Command> session;
  private long lastInbound = System.nanoTime();
  private CloseReason closing;
  private boolean closeFrameSent;
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
    this.input = new ClientInput(settings, metrics, queue);
    this.idleNanos = settings.idleTimeout().toNanos();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    metrics.connectionsOpened.increment();
    session = sessionFactory.apply(queue);
    input.attach(session);
    queue.attach(() -> ctx.channel().eventLoop().execute(flushTask));
    idleTimer = ctx.executor().schedule(this::checkIdle, idleNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf buf = (ByteBuf) msg;
    try {
      if (!input.reading()) return;
      lastInbound = System.nanoTime();
      byte[] bytes = new byte[buf.readableBytes()];
      buf.readBytes(bytes);
      if (input.read(ByteString.fromArrayUnsafe(bytes), closeFrameSent)) ctx.close();
    } finally {
      buf.release();
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
    if (closeFrameSent && !input.reading()) {
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
