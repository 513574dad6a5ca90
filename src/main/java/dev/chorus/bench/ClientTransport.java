package dev.chorus.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Netty side of the bench: one event loop group (epoll when available, else NIO) shared by
 * every connection, and the pipeline of a WebSocket client connection.
 *
 * <p>Slow clients are shaped like a client on a real network: a 4 KiB receive buffer, so that
 * the kernel stops absorbing the server's writes early and the server's own outbound queue
 * fills, and (epoll) a 1460-byte MSS, Ethernet's, instead of loopback's 65 483, so that the
 * server's kernel sends it segments of that size.
 */
final class ClientTransport implements AutoCloseable {
  /** Slow clients' SO_RCVBUF (the kernel doubles it and keeps a floor). */
  static final int SLOW_RCVBUF = 4096;
  /** Slow clients' MSS, set with TCP_MAXSEG (level IPPROTO_TCP = 6, option 2) before connecting. */
  static final int SLOW_MSS = 1460;
  private static final IntegerUnixChannelOption TCP_MAXSEG = new IntegerUnixChannelOption("TCP_MAXSEG", 6, 2);

  private final List<URI> uris;
  private final List<InetSocketAddress> remotes = new ArrayList<>();
  private final List<InetAddress> sources;
  private final AtomicLong nextSource = new AtomicLong();
  private final EventLoopGroup group;
  private final boolean epoll;
  private final long heartbeatMillis;

  /** Client {@code id} connects to {@code uris[id mod n]}: several nodes share the clients evenly. */
  ClientTransport(List<URI> uris, List<String> sources, int threads, long heartbeatMillis) throws UnknownHostException {
    this.uris = List.copyOf(uris);
    for (URI uri : uris) remotes.add(new InetSocketAddress(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 80));
    this.sources = new ArrayList<>();
    for (String s : sources) this.sources.add(InetAddress.getByName(s));
    this.epoll = Epoll.isAvailable();
    this.group = epoll ? new EpollEventLoopGroup(threads) : new NioEventLoopGroup(threads);
    this.heartbeatMillis = heartbeatMillis;
  }

  String kind() {
    return epoll ? "epoll" : "nio";
  }

  long heartbeatMillis() {
    return heartbeatMillis;
  }

  /** Starts connecting {@code client}; its listener learns how it went. */
  void connect(PhoenixClient client) {
    int node = Math.floorMod(client.id, uris.size());
    client.markStart();
    ChannelFuture future = connect(group, node, client.slow, client);
    client.attach(future.channel());
    future.addListener(f -> {
      if (!f.isSuccess()) client.connectFailed(f.cause());
    });
  }

  int nodes() {
    return uris.size();
  }

  /**
   * An event loop of the group, for a client that keeps one across its successive connections:
   * all its state then lives on that loop's thread.
   */
  EventLoop nextLoop() {
    return group.next();
  }

  /**
   * Starts a WebSocket connection to node {@code node} (the index of its URL) on {@code loop},
   * with {@code handler} last in its pipeline (a new one per connection).
   */
  ChannelFuture open(EventLoop loop, int node, ChannelHandler handler) {
    return connect(loop, node, false, handler);
  }

  private ChannelFuture connect(EventLoopGroup on, int node, boolean slow, ChannelHandler handler) {
    URI uri = uris.get(node);
    InetSocketAddress remote = remotes.get(node);
    Bootstrap b = new Bootstrap()
        .group(on)
        .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .version(WebSocketVersion.V13)
                .allowExtensions(false)
                .maxFramePayloadLength(1 << 20)
                // We want to see the server's close code (4000 = slow consumer) ourselves.
                .handleCloseFrames(false)
                .dropPongFrames(true)
                .handshakeTimeoutMillis(10_000)
                // The server validates what it sends; skipping it saves client CPU per delivery.
                .withUTF8Validator(false)
                .build();
            ch.pipeline().addLast(
                new HttpClientCodec(),
                new HttpObjectAggregator(64 * 1024),
                new WebSocketClientProtocolHandler(config),
                handler);
          }
        });
    if (slow) {
      b.option(ChannelOption.SO_RCVBUF, SLOW_RCVBUF);
      if (epoll) b.option(TCP_MAXSEG, SLOW_MSS);
    }
    if (sources.isEmpty()) return b.connect(remote);
    // Round-robin local addresses: each (source IP) has its own ~28k ephemeral ports towards
    // one destination. IP_BIND_ADDRESS_NO_PORT defers the port choice to connect(), so ports
    // are shared across destinations instead of reserved at bind().
    if (epoll) b.option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
    InetAddress source = sources.get((int) (nextSource.getAndIncrement() % sources.size()));
    return b.connect(remote, new InetSocketAddress(source, 0));
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
  }
}
