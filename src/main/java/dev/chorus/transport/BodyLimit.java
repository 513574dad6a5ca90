package dev.chorus.transport;

import dev.chorus.metrics.Metrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.socket.DuplexChannel;
import java.util.concurrent.TimeUnit;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;

/**
 * Bounds each request's body before the aggregator buffers it: a LongPoll POST to
 * {@code chorus.longpoll.max-post-bytes}, anything else to {@code chorus.http.max-request-bytes}
 * (an upgrade or a page request has no body). A body over its bound, by its Content-Length or
 * by the bytes received, is answered 413 at once and the connection closed; nothing more of it is
 * read. (The aggregator behind it is sized for the larger bound.)
 */
final class BodyLimit extends ChannelInboundHandlerAdapter {
  private static final long LINGER_MILLIS = 1000;
  private final int maxRequestBytes;
  private final int maxPostBytes;
  private final Metrics metrics;
  private int limit;
  private boolean longPoll;
  private long received;
  private boolean refused;

  BodyLimit(int maxRequestBytes, int maxPostBytes, Metrics metrics) {
    this.maxRequestBytes = maxRequestBytes;
    this.maxPostBytes = maxPostBytes;
    this.metrics = metrics;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (refused) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest req) {
      longPoll = LongPollEndpoint.PATH.equals(new QueryStringDecoder(req.uri()).path());
      limit = longPoll && HttpMethod.POST.equals(req.method()) ? maxPostBytes : maxRequestBytes;
      received = 0;
      if (HttpUtil.getContentLength(req, -1L) > limit) {
        refuse(ctx, msg);
        return;
      }
    }
    if (msg instanceof HttpContent content) {
      received += content.content().readableBytes();
      if (received > limit) {
        refuse(ctx, msg);
        return;
      }
    }
    ctx.fireChannelRead(msg);
  }

  private void refuse(ChannelHandlerContext ctx, Object msg) {
    refused = true;
    ReferenceCountUtil.release(msg);
    FullHttpResponse res;
    if (longPoll) {
      metrics.longPollRefused("body_too_large");
      res = LongPollEndpoint.response(PollAnswer.refused(413,
          "request body too large: at most " + limit + " bytes (chorus.longpoll.max-post-bytes)"));
    } else {
      res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Unpooled.EMPTY_BUFFER);
      res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
    }
    // Written below the aggregator and the handshake handler, through the HTTP codec. The rest of
    // the body is read and dropped for a moment, so that a client still sending it gets the
    // answer rather than a reset; then the connection closes (the socket gate's deadline bounds it too).
    res.headers().set(HttpHeaderNames.CONNECTION, "close");
    Channel ch = ctx.channel();
    ctx.writeAndFlush(res).addListener(f -> {
      if (ch instanceof DuplexChannel duplex && ch.isActive()) duplex.shutdownOutput();
      ch.eventLoop().schedule(() -> ch.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
    });
  }
}
