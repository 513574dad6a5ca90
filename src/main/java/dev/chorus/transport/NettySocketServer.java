package dev.chorus.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The node's WebSocket server: it answers the upgrade of {@code /socket/websocket} (RFC 6455
 * §4.2.2) once {@link ConnectionAdmission} admits it, then replaces the HTTP codec with a
 * {@link WebSocketConnection} whose session {@link Sessions} starts; it serves the LongPoll
 * transport at {@code /socket/longpoll} ({@link LongPollEndpoint}) and the demo page.
 */
public final class NettySocketServer implements AutoCloseable {
  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private final EventLoopGroup group;
  private final Channel server;
  /** Every open connection of this port, from accept to close (chorus.http.max-connections, -per-ip). */
  private final OpenSockets sockets;

  /**
   * Serves WebSockets, and LongPoll through {@code longPoll} (the node's sessions) and
   * {@code router} (the other nodes' sessions).
   */
  public NettySocketServer(ServerSettings settings, ConnectionAdmission admission, Sessions sessions,
      LongPollSessions longPoll, LongPollRouter router) throws InterruptedException {
    LongPollEndpoint longPollEndpoint = new LongPollEndpoint(longPoll, router, settings.allowedOrigins(), settings.handshakeTimeout());
    int maxPostBytes = longPoll.settings().maxPostBytes();
    sockets = new OpenSockets(settings.maxConnections(), settings.maxConnectionsPerIp());
    boolean epoll = Epoll.isAvailable();
    group = epoll ? new EpollEventLoopGroup(settings.ioThreads()) : new NioEventLoopGroup(settings.ioThreads());
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, settings.backlog())
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.SO_SNDBUF, settings.socketSendBuffer())
        // Writability drives when a connection's queue is drained into the socket; the queue
        // itself (OutboundQueue) is the bound that decides a slow consumer.
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
            new WriteBufferWaterMark(settings.writeLowWaterMark(), settings.writeHighWaterMark()))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            // First, before a byte is decoded: the open-connection limits and the handshake timeout.
            ch.pipeline().addLast(SocketGate.NAME, new SocketGate(sockets, settings.handshakeTimeout(), admission.metrics()));
            ch.pipeline().addLast("http", new HttpServerCodec());
            // Each request's body bounded by its kind (a LongPoll POST may carry more) before it is aggregated.
            ch.pipeline().addLast("body-limit", new BodyLimit(settings.maxRequestBytes(), maxPostBytes, admission.metrics()));
            ch.pipeline().addLast("aggregate", new HttpObjectAggregator(Math.max(settings.maxRequestBytes(), maxPostBytes)));
            ch.pipeline().addLast("handshake", new Handshake(admission, sessions, longPollEndpoint));
          }
        });
    // What the kernel holds unsent for a client that does not read stays small: its backlog is
    // ours to count and to drop (outbound-stall-timeout, outbound-node-budget). Linux only.
    if (epoll) b.childOption(EpollChannelOption.TCP_NOTSENT_LOWAT, (long) settings.socketNotsentLowat());
    server = b.bind(settings.host(), settings.port()).sync().channel();
    OutboundBudget budget = new OutboundBudget(
        admission.connections(), admission.settings().outboundNodeBudget(), admission.metrics());
    group.next().scheduleAtFixedRate(
        budget, OutboundBudget.CHECK_MILLIS, OutboundBudget.CHECK_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  public InetSocketAddress localAddress() {
    return (InetSocketAddress) server.localAddress();
  }

  /** Connections open on this port now, WebSockets and requests not yet answered. */
  public int openSockets() {
    return sockets.open();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
  }

  /** The first request of a connection: a WebSocket upgrade, or a page. */
  private static final class Handshake extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final ConnectionAdmission admission;
    private final Sessions sessions;
    private final LongPollEndpoint longPoll;

    Handshake(ConnectionAdmission admission, Sessions sessions, LongPollEndpoint longPoll) {
      this.admission = admission;
      this.sessions = sessions;
      this.longPoll = longPoll;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      SocketGate gate = ctx.pipeline().get(SocketGate.class);
      if (gate != null) gate.requestRead();
      if (req.decoderResult().isFailure()) {
        undecodable(ctx, req);
        return;
      }
      QueryStringDecoder uri = new QueryStringDecoder(req.uri());
      switch (uri.path()) {
        case "/socket/websocket" -> upgrade(ctx, req, uri);
        case LongPollEndpoint.PATH -> longPoll.serve(ctx, req, uri);
        case "/" -> page(ctx, "web/index.html", "text/html; charset=UTF-8");
        case "/phoenix.js" -> page(ctx, "web/phoenix.js", "application/javascript");
        default -> reply(ctx, HttpResponseStatus.NOT_FOUND, "not found");
      }
    }

    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder uri) {
      String key = req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
      if (key == null
          || !req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
          || !req.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
          || !"13".equals(req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
        reply(ctx, HttpResponseStatus.BAD_REQUEST, "expected a WebSocket upgrade request");
        return;
      }
      Map<String, String> query = new HashMap<>();
      uri.parameters().forEach((k, v) -> query.put(k, v.get(0)));
      AuthTokenProtocol.Offer offer = AuthTokenProtocol.parse(req.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL));
      String ip = SocketGate.ipOf(ctx.channel().remoteAddress());
      String origin = req.headers().get(HttpHeaderNames.ORIGIN), host = req.headers().get(HttpHeaderNames.HOST);
      if (admission.hooked()) {
        // The connect hook answers later, on another thread: nothing more is read meanwhile, and
        // the handshake completes on this connection's event loop when it answers (the
        // handshake timeout still bounds the wait: SocketGate closes the connection).
        ctx.channel().config().setAutoRead(false);
        Channel channel = ctx.channel();
        admission.admitAsync(query, ip, origin, host, offer.token(), headersOf(req), "websocket", ctx.executor(), channel::isActive)
            // Completed on the event loop, in the same task that checked the connection is still
            // open and made its queue: it cannot close in between, leaving the queue unowned.
            .whenComplete((admitted, error) -> {
              if (error != null) {
                reply(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error");
              } else if (admitted != null) {
                accept(ctx, key, offer, admitted);
                channel.config().setAutoRead(true);
              }
            });
        return;
      }
      accept(ctx, key, offer, admission.admit(query, ip, origin, host, offer.token()));
    }

    private void accept(ChannelHandlerContext ctx, String key, AuthTokenProtocol.Offer offer, ConnectionAdmission.Admission admitted) {
      if (admitted.refusal() != null) {
        reply(ctx, HttpResponseStatus.valueOf(admitted.status()), admitted.refusal(), admitted.retryAfterSeconds());
        return;
      }
      FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
      res.headers().set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
      res.headers().set(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT, acceptKey(key));
      // phoenix.js offers "phoenix" with its authToken and aborts unless one is selected; never the token's own.
      if (offer.phoenix()) res.headers().set(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, AuthTokenProtocol.PHOENIX);
      ctx.writeAndFlush(res);
      // From here on the connection's bytes are WebSocket frames, read by our own reader.
      ctx.pipeline().remove("aggregate");
      ctx.pipeline().remove("body-limit");
      ctx.pipeline().remove("http");
      if (ctx.pipeline().get(SocketGate.NAME) != null) ctx.pipeline().remove(SocketGate.NAME); // its deadline ends here
      ctx.pipeline().replace(this, "websocket", new WebSocketConnection(
          admission.settings(), admission.metrics(), admitted.queue(), sessions, admitted.params()));
    }

    /**
     * A request Netty's decoder could not read whole: a request line over 4 KiB (414) or headers
     * over 8 KiB (431: a huge authToken subprotocol among them), else 400. Counted as
     * request_too_large or bad_request.
     */
    private void undecodable(ChannelHandlerContext ctx, FullHttpRequest req) {
      Throwable cause = req.decoderResult().cause();
      if (cause instanceof TooLongHttpLineException) {
        admission.metrics().connectionRefused("request_too_large");
        reply(ctx, HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line too long");
      } else if (cause instanceof TooLongHttpHeaderException) {
        admission.metrics().connectionRefused("request_too_large");
        reply(ctx, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers too large");
      } else {
        admission.metrics().connectionRefused("bad_request");
        reply(ctx, HttpResponseStatus.BAD_REQUEST, "bad request");
      }
    }

    private static void page(ChannelHandlerContext ctx, String resource, String contentType) {
      try (InputStream in = NettySocketServer.class.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          reply(ctx, HttpResponseStatus.NOT_FOUND, "not found");
          return;
        }
        FullHttpResponse res = new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(in.readAllBytes()));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE); // said, so that no client reuses it
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
      } catch (IOException e) {
        reply(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot read " + resource);
      }
    }

    private static void reply(ChannelHandlerContext ctx, HttpResponseStatus status, String text) {
      reply(ctx, status, text, 0);
    }

    /** A text answer that closes the connection, with {@code Retry-After} when {@code retryAfterSeconds} is above 0. */
    private static void reply(ChannelHandlerContext ctx, HttpResponseStatus status, String text, int retryAfterSeconds) {
      FullHttpResponse res = new DefaultFullHttpResponse(
          HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
      res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=UTF-8");
      res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      if (retryAfterSeconds > 0) res.headers().setInt(HttpHeaderNames.RETRY_AFTER, retryAfterSeconds);
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** A request's headers, by lowercase name (the first value of each), for the connect hook. */
  static Map<String, String> headersOf(FullHttpRequest req) {
    Map<String, String> headers = new HashMap<>();
    for (Map.Entry<String, String> h : req.headers()) headers.putIfAbsent(h.getKey().toLowerCase(Locale.ROOT), h.getValue());
    return headers;
  }

  /** The Sec-WebSocket-Accept answer to a Sec-WebSocket-Key (RFC 6455 §4.2.2). */
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
