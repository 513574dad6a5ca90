/*
 * Netty baseline for the Chorus benchmarks: a minimal raw Netty WebSocket server written for
 * speed, speaking the Phoenix Channels v2 JSON subset the bench uses, and behaving like
 * bench/node-baseline/server.js as far as the bench can see: join, leave (reply + phx_close),
 * heartbeat, and a push to a joined topic broadcast as [null,null,topic,event,payload] to every
 * member of the topic, pusher included, answered {"status":"ok","response":{}} when it has a ref.
 * It is the practical limit of the machine, the figure Chorus is read against.
 *
 * How: epoll when available; HttpServerCodec + HttpObjectAggregator only for the upgrade, then
 * Netty's WebSocket13 frame decoder. Inbound messages are scanned, not parsed: the scanner finds
 * the five elements of [join_ref, ref, topic, event, payload] as byte ranges (the payload is only
 * checked for balanced brackets and is forwarded byte for byte). A broadcast is framed once, as a
 * complete WebSocket text frame, into one pooled direct buffer; each event loop with members of
 * the room writes a retained duplicate of it to each of its members (one task per loop, never a
 * task per member), and writes are flushed once per event-loop batch. A connection whose pending
 * outbound bytes exceed 256 KiB (the write-buffer high-water mark; Netty counts ~96 B more per
 * queued frame) is closed and its queue dropped: the slow-consumer limit.
 *
 * Deliberately omitted: presence, history, auth, rate and size limits beyond the frame decoder's,
 * sequencing across nodes (and a total order between pushers on different event loops),
 * fragmented messages, UTF-8 validation, idle timeouts. Rooms stay in the map once created.
 *
 * Run (the Netty classes come from the Chorus fat jar; Java's single-file source launcher):
 *   java -cp target/chorus.jar bench/netty-baseline/NettyBaseline.java
 * Environment: PORT (default 4002), IO_THREADS (default 2, like chorus.http.io-threads).
 */

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.*;
import io.netty.channel.epoll.*;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.*;
import io.netty.handler.codec.http.websocketx.*;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.StreamSupport;

public final class NettyBaseline {
  static final String PATH = "/socket/websocket";
  static final int MAX_FRAME = 1 << 20;
  static final int SLOW_CONSUMER_BYTES = 256 * 1024;
  static final boolean EPOLL = Epoll.isAvailable();
  static final EventLoopGroup GROUP = EPOLL ? new EpollEventLoopGroup(env("IO_THREADS", 2)) : new NioEventLoopGroup(env("IO_THREADS", 2));
  static final EventLoop[] LOOPS = StreamSupport.stream(GROUP.spliterator(), false).toArray(EventLoop[]::new);
  static final Flusher[] FLUSHERS = Arrays.stream(LOOPS).map(l -> new Flusher(l, new ArrayList<>())).toArray(Flusher[]::new);
  static final ConcurrentHashMap<String, Room> ROOMS = new ConcurrentHashMap<>();
  static final AtomicLong CONNECTIONS = new AtomicLong(), SLOW_CLOSED = new AtomicLong();
  static final WebSocketServerHandshakerFactory HANDSHAKERS = new WebSocketServerHandshakerFactory(PATH, null, false, MAX_FRAME);

  static final ByteBuf OPEN = ascii("["), COMMA = ascii(","), CLOSE = ascii("]"), NULL = ascii("null"),
      PHOENIX = ascii("\"phoenix\""), HEARTBEAT = ascii("\"heartbeat\""), PHX_JOIN = ascii("\"phx_join\""),
      PHX_LEAVE = ascii("\"phx_leave\""), PHX_REPLY = ascii("\"phx_reply\""), PHX_CLOSE = ascii("\"phx_close\""),
      EMPTY = ascii("{}"), OK = ascii("{\"status\":\"ok\",\"response\":{}}"),
      UNMATCHED = ascii("{\"status\":\"error\",\"response\":{\"reason\":\"unmatched topic\"}}");

  public static void main(String[] args) throws Exception {
    int port = env("PORT", 4002);
    Channel server = new ServerBootstrap()
        .group(GROUP)
        .channel(EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .childOption(ChannelOption.TCP_NODELAY, true)
        // As Chorus (chorus.http.socket-send-buffer): bounds what the kernel holds for a client that does not read.
        .childOption(ChannelOption.SO_SNDBUF, 128 * 1024)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(SLOW_CONSUMER_BYTES / 2, SLOW_CONSUMER_BYTES))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(16 * 1024), new Conn(ch));
          }
        })
        .bind(port).sync().channel();
    // Once a minute, like the Node baseline: open connections and slow consumers closed so far.
    LOOPS[0].scheduleAtFixedRate(() -> System.err.printf("[stats] connections=%d slowConsumersClosed=%d%n",
        CONNECTIONS.get(), SLOW_CLOSED.get()), 60, 60, TimeUnit.SECONDS);
    System.err.printf("netty-baseline listening on :%d%s (%s, %d IO threads)%n", port, PATH, EPOLL ? "epoll" : "nio", LOOPS.length);
    server.closeFuture().sync();
  }

  /** One connection: its upgrade request, then its WebSocket frames. Its state is used only on its event loop. */
  static final class Conn extends SimpleChannelInboundHandler<Object> {
    final Channel ch;
    final int loop;
    final Set<String> topics = new HashSet<>();
    boolean upgraded, dirty; // dirty: written since the last flush, queued in its loop's Flusher

    Conn(Channel ch) {
      this.ch = ch;
      this.loop = Arrays.asList(LOOPS).indexOf(ch.eventLoop());
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof FullHttpRequest req) {
        upgrade(req);
        return;
      }
      WebSocketFrame frame = (WebSocketFrame) msg;
      if (!frame.isFinalFragment() || frame instanceof ContinuationWebSocketFrame) {
        close(1003, "fragmented messages are not supported");
      } else if (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame) {
        onMessage(frame.content());
      } else if (frame instanceof PingWebSocketFrame) {
        write(new PongWebSocketFrame(frame.content().retain()));
      } else if (frame instanceof CloseWebSocketFrame) {
        ch.writeAndFlush(frame.retainedDuplicate()).addListener(ChannelFutureListener.CLOSE);
      }
    }

    /** The upgrade of PATH (any query string), else 404 and close. */
    private void upgrade(FullHttpRequest req) {
      String uri = req.uri();
      int query = uri.indexOf('?');
      WebSocketServerHandshaker handshaker = (query < 0 ? uri : uri.substring(0, query)).equals(PATH)
          && req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
          ? HANDSHAKERS.newHandshaker(req) : null;
      if (handshaker == null) {
        FullHttpResponse res = new DefaultFullHttpResponse(req.protocolVersion(), HttpResponseStatus.NOT_FOUND);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        ch.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      // Puts Netty's WebSocket13 decoder and encoder before this handler and removes the HTTP
      // ones; the encoder only sees close and pong frames, data frames are written framed.
      handshaker.handshake(ch, req);
      upgraded = true;
      CONNECTIONS.incrementAndGet();
    }

    private void onMessage(ByteBuf in) {
      ByteBuf[] m = scan(in);
      if (m == null || m[2].getByte(0) != '"' || m[3].getByte(0) != '"') {
        close(1003, "malformed frame");
        return;
      }
      ByteBuf joinRef = m[0], ref = m[1], topic = m[2], event = m[3], payload = m[4];
      if (topic.equals(PHOENIX) && event.equals(HEARTBEAT)) {
        send(NULL, ref, topic, PHX_REPLY, OK);
        return;
      }
      String name = topic.toString(1, topic.readableBytes() - 2, StandardCharsets.UTF_8);
      if (event.equals(PHX_JOIN)) {
        if (topics.add(name)) ROOMS.computeIfAbsent(name, t -> new Room()).add(this);
        send(joinRef, ref, topic, PHX_REPLY, OK);
      } else if (event.equals(PHX_LEAVE)) {
        if (topics.remove(name)) ROOMS.get(name).remove(this);
        send(joinRef, ref, topic, PHX_REPLY, OK);
        send(joinRef, joinRef, topic, PHX_CLOSE, EMPTY);
      } else if (topics.contains(name)) {
        ROOMS.get(name).broadcast(loop, message(ch.alloc(), NULL, NULL, topic, event, payload));
        if (!ref.equals(NULL)) send(joinRef, ref, topic, PHX_REPLY, OK);
      } else if (!ref.equals(NULL)) {
        send(joinRef, ref, topic, PHX_REPLY, UNMATCHED);
      }
    }

    private void send(ByteBuf joinRef, ByteBuf ref, ByteBuf topic, ByteBuf event, ByteBuf payload) {
      write(message(ch.alloc(), joinRef, ref, topic, event, payload));
    }

    /** Queues msg; the connection is flushed at the end of its event loop's current batch. */
    void write(Object msg) {
      if (!ch.isActive()) {
        ReferenceCountUtil.release(msg);
        return;
      }
      ch.write(msg, ch.voidPromise());
      if (!dirty) {
        dirty = true;
        FLUSHERS[loop].add(this);
      }
    }

    private void close(int code, String reason) {
      ch.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    /** Pending outbound bytes passed the high-water mark (256 KiB): a slow consumer, dropped. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (!ch.isWritable() && ch.isActive()) {
        SLOW_CLOSED.incrementAndGet();
        ch.close();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      for (String t : topics) ROOMS.get(t).remove(this);
      topics.clear();
      if (upgraded) CONNECTIONS.decrementAndGet();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** A topic's members by event loop: members[i] (size[i] of them) is read and changed only on loop i. */
  static final class Room {
    final Conn[][] members = new Conn[LOOPS.length][8];
    final int[] size = new int[LOOPS.length];

    void add(Conn c) {
      if (size[c.loop] == members[c.loop].length) members[c.loop] = Arrays.copyOf(members[c.loop], size[c.loop] * 2);
      members[c.loop][size[c.loop]++] = c;
    }

    void remove(Conn c) {
      Conn[] on = members[c.loop];
      for (int i = 0; i < size[c.loop]; i++) {
        if (on[i] == c) {
          on[i] = on[--size[c.loop]];
          on[size[c.loop]] = null;
          return;
        }
      }
    }

    /** Called on loop `from` with a framed message, whose reference it takes. */
    void broadcast(int from, ByteBuf frame) {
      for (int l = 0; l < LOOPS.length; l++) {
        if (l == from) {
          deliver(l, frame);
        } else {
          int loop = l;
          ByteBuf copy = frame.retainedDuplicate();
          LOOPS[l].execute(() -> {
            deliver(loop, copy);
            copy.release();
          });
        }
      }
      frame.release();
    }

    private void deliver(int loop, ByteBuf frame) {
      Conn[] on = members[loop];
      for (int i = 0, n = size[loop]; i < n; i++) on[i].write(frame.retainedDuplicate());
    }
  }

  /** Flushes the connections written on its loop once per batch of reads and tasks, not per message. */
  record Flusher(EventLoop loop, ArrayList<Conn> dirty) implements Runnable {
    void add(Conn c) {
      if (dirty.isEmpty()) loop.execute(this); // runs after the reads and tasks already pending
      dirty.add(c);
    }

    @Override
    public void run() {
      for (int i = 0; i < dirty.size(); i++) {
        dirty.get(i).dirty = false;
        dirty.get(i).ch.flush();
      }
      dirty.clear();
    }
  }

  /** [joinRef,ref,topic,event,payload] (each raw JSON) as one WebSocket text frame in a pooled direct buffer. */
  static ByteBuf message(ByteBufAllocator alloc, ByteBuf joinRef, ByteBuf ref, ByteBuf topic, ByteBuf event, ByteBuf payload) {
    ByteBuf[] parts = {OPEN, joinRef, COMMA, ref, COMMA, topic, COMMA, event, COMMA, payload, CLOSE};
    int len = 0;
    for (ByteBuf p : parts) len += p.readableBytes();
    ByteBuf frame = alloc.directBuffer((len < 126 ? 2 : len < 65536 ? 4 : 10) + len);
    frame.writeByte(0x81); // FIN, text; a server's frames are not masked
    if (len < 126) frame.writeByte(len);
    else if (len < 65536) frame.writeByte(126).writeShort(len);
    else frame.writeByte(127).writeLong(len);
    for (ByteBuf p : parts) frame.writeBytes(p, p.readerIndex(), p.readableBytes());
    return frame;
  }

  /** The five elements of [join_ref, ref, topic, event, payload] as slices of in, or null. */
  static ByteBuf[] scan(ByteBuf in) {
    int end = in.writerIndex(), i = skipSpace(in, in.readerIndex(), end);
    if (i == end || in.getByte(i) != '[') return null;
    ByteBuf[] elements = new ByteBuf[5];
    for (int k = 0; k < 5; k++) {
      int start = skipSpace(in, i + 1, end), stop = skipValue(in, start, end);
      if (stop < 0) return null;
      elements[k] = in.slice(start, stop - start);
      i = skipSpace(in, stop, end);
      if (i == end || in.getByte(i) != (k < 4 ? ',' : ']')) return null;
    }
    return skipSpace(in, i + 1, end) == end ? elements : null;
  }

  /** End of the JSON value starting at i, or -1: strings are scanned, objects and arrays only balanced. */
  static int skipValue(ByteBuf in, int i, int end) {
    if (i >= end) return -1;
    byte c = in.getByte(i);
    if (c == '"') return skipString(in, i, end);
    if (c == '{' || c == '[') {
      for (int depth = 0; i < end; i++) {
        c = in.getByte(i);
        if (c == '"') {
          i = skipString(in, i, end) - 1;
          if (i < 0) return -1;
        } else if (c == '{' || c == '[') {
          depth++;
        } else if ((c == '}' || c == ']') && --depth == 0) {
          return i + 1;
        }
      }
      return -1;
    }
    int start = i; // null, true, false or a number
    while (i < end && (c = in.getByte(i)) != ',' && c != ']' && c > ' ') i++;
    return i > start ? i : -1;
  }

  static int skipString(ByteBuf in, int i, int end) {
    for (i++; i < end; i++) {
      byte c = in.getByte(i);
      if (c == '\\') i++;
      else if (c == '"') return i + 1;
    }
    return -1;
  }

  static int skipSpace(ByteBuf in, int i, int end) {
    for (byte c; i < end && ((c = in.getByte(i)) == ' ' || c == '\n' || c == '\r' || c == '\t'); ) i++;
    return i;
  }

  /** A constant piece of JSON, shared by all threads (only read with absolute indexes). */
  static ByteBuf ascii(String s) {
    return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.US_ASCII)).asReadOnly();
  }

  static int env(String name, int fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : Integer.parseInt(v.trim());
  }
}
