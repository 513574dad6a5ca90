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
  private final Function<OutboundQueue, ActorRef<Session.Command>> sessionFactory;
  private final ConnectionCore core;
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> idleTimer;
  private final Runnable flushTask = this::write;

  NettyConnection(
      ConnectionSettings settings,
      Metrics metrics,
      OutboundQueue queue,
      Function<OutboundQueue, ActorRef<Session.Command>> sessionFactory) {
    this.settings = settings;
    this.sessionFactory = sessionFactory;
    this.core = new ConnectionCore(settings, metrics, queue);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    core.start(sessionFactory, () -> ctx.channel().eventLoop().execute(flushTask));
    scheduleIdleCheck(settings.idleTimeout().toNanos());
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf buf = (ByteBuf) msg;
    try {
      if (!core.reading()) return;
      byte[] bytes = new byte[buf.readableBytes()];
      buf.readBytes(bytes);
      if (core.read(ByteString.fromArrayUnsafe(bytes))) ctx.close();
    } finally {
      buf.release();
    }
  }

  /** Writes what is queued while the socket takes it; then the close frame of a requested close. */
  private void write() {
    if (!ctx.channel().isActive()) return;
    if (core.closeStarted()) {
      ctx.executor().schedule(this::abort, settings.closeTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }
    boolean wrote = false;
    ByteString next;
    while (ctx.channel().isWritable() && (next = core.nextWrite()) != null) {
      ctx.write(Unpooled.wrappedBuffer(next.toArrayUnsafe()));
      wrote = true;
    }
    if (!wrote) return;
    if (core.endAfterCloseFrame()) {
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.flush();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) write();
  }

  private void scheduleIdleCheck(long nanos) {
    idleTimer = ctx.executor().schedule(() -> {
      long next = core.checkIdle();
      if (next > 0) scheduleIdleCheck(next);
    }, nanos, TimeUnit.NANOSECONDS);
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
    core.ended();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close(); // a reset by the peer or similar: nothing to report to it
  }
}
