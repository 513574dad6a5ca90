package dev.chorus.transport;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code /socket/longpoll}, as phoenix.js's LongPoll transport and Phoenix's server speak it:
 * GET without a session token opens a session (410 + token), GET with one polls it (200 with
 * messages, or 204 after the window), POST sends it frames (ndjson), OPTIONS answers a CORS
 * preflight; other methods get 405. The Origin check applies to every request, as on the
 * WebSocket path. A request naming a session of another node is forwarded there
 * ({@link LongPollRouter}). Every answer closes its connection (no keep-alive: each request is
 * bounded on its own by the node's connection limits and deadlines).
 */
final class LongPollEndpoint {
  static final String PATH = "/socket/longpoll";
  /** Where newer Phoenix clients put the session token (older ones, phoenix.js 1.8 included, use the query). */
  static final String TOKEN_HEADER = "x-phoenix-longpoll-token";
  /** phoenix.js's {@code authToken} on LongPoll: decided by the admission as the WebSocket's subprotocol token ({@link AuthToken}). */
  static final String AUTH_HEADER = "x-phoenix-authtoken";

  private final LongPollSessions sessions;
  private final LongPollRouter router;
  private final OriginPolicy origins;
  private final Duration answerTimeout;

  LongPollEndpoint(LongPollSessions sessions, LongPollRouter router, OriginPolicy origins, Duration handshakeTimeout) {
    this.sessions = sessions;
    this.router = router;
    this.origins = origins;
    this.answerTimeout = sessions.settings().forwardTimeout().plus(handshakeTimeout);
  }

  /**
   * The session token and the connect token of a request's {@code token} query parameter.
   * phoenix.js puts the session token there, where a client's own connect params may have a
   * {@code token} (its JWT) too: a value in the session token's shape ({@link LongPollToken},
   * four dot-separated parts starting {@code v1.}; a JWT has three) is the session token, any
   * other is the connect token. The {@code x-phoenix-longpoll-token} header, when present, is the
   * session token. (phoenix.js's {@code authToken}, in the {@code x-phoenix-authtoken} header,
   * is passed to the admission apart, as the WebSocket path passes its subprotocol's.)
   */
  record Tokens(String session, String connect) {
    static Tokens of(HttpHeaders headers, List<String> queryTokens) {
      String session = headers.get(TOKEN_HEADER), connect = null;
      for (String t : queryTokens) {
        if (LongPollToken.nodeOf(t) != null) {
          if (session == null) session = t;
        } else if (connect == null) {
          connect = t;
        }
      }
      return new Tokens(session, connect);
    }
  }

  void serve(ChannelHandlerContext ctx, FullHttpRequest req, QueryStringDecoder uri) {
    SocketGate gate = ctx.pipeline().get(SocketGate.class);
    if (gate != null) gate.answerWithin(answerTimeout);
    String origin = req.headers().get(HttpHeaderNames.ORIGIN), host = req.headers().get(HttpHeaderNames.HOST);
    if (!origins.allows(origin, host)) {
      sessions.admission().metrics().connectionRefused("origin");
      sessions.admission().metrics().longPollRefused("origin");
      respond(ctx, PollAnswer.forbidden(ConnectionAdmission.ORIGIN_REFUSED));
      return;
    }
    Tokens tokens = Tokens.of(req.headers(), uri.parameters().getOrDefault("token", List.of()));
    HttpMethod method = req.method();
    if (HttpMethod.OPTIONS.equals(method)) {
      preflight(ctx, req);
    } else if (HttpMethod.GET.equals(method)) {
      if (tokens.session() == null) {
        String ip = SocketGate.ipOf(ctx.channel().remoteAddress());
        AuthToken authToken = AuthToken.of(req.headers().get(AUTH_HEADER));
        if (sessions.admission().hooked()) {
          // answered on this event loop once the connect hook has (the request is released by then)
          sessions.openAsync(connectParams(uri, tokens), ip, origin, host, authToken, NettySocketServer.headersOf(req),
                  ctx.executor(), ctx.channel()::isActive)
              .whenComplete((a, e) -> {
                if (a != null) respond(ctx, a);
                else if (e != null) respond(ctx, PollAnswer.refused(500, "internal error"));
              });
        } else {
          respond(ctx, sessions.open(connectParams(uri, tokens), ip, origin, host, authToken, ctx.executor()));
        }
      } else {
        route(ctx, new LongPollRouter.Request(true, tokens.session(), null));
      }
    } else if (HttpMethod.POST.equals(method)) {
      if (tokens.session() == null) {
        sessions.admission().metrics().longPollRefused("unknown_session");
        respond(ctx, PollAnswer.gone());
        return;
      }
      NdjsonBatch.Parsed body = NdjsonBatch.parse(ByteBufUtil.getBytes(req.content()),
          req.headers().get(HttpHeaderNames.CONTENT_TYPE), sessions.settings().maxPostFrames(),
          sessions.admission().settings().maxFrameBytes());
      if (body.refusal() != null) {
        sessions.admission().metrics().longPollRefused(body.label());
        respond(ctx, PollAnswer.refused(body.httpStatus(), body.refusal()));
        return;
      }
      route(ctx, new LongPollRouter.Request(false, tokens.session(), body.frames()));
    } else {
      sessions.admission().metrics().longPollRefused("method");
      FullHttpResponse res = response(PollAnswer.refused(405, "method not allowed: GET, POST or OPTIONS"));
      res.headers().set(HttpHeaderNames.ALLOW, "GET, POST, OPTIONS");
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** To the session here, or forwarded to the node its token names. */
  private void route(ChannelHandlerContext ctx, LongPollRouter.Request request) {
    String node = LongPollToken.nodeOf(request.token());
    CompletionStage<PollAnswer> answer;
    if (sessions.node().equals(node)) {
      CompletableFuture<PollAnswer> local = request.poll() ? sessions.poll(request.token())
          : sessions.post(request.token(), request.frames());
      // A poll whose client went away must not take the frames a later poll would get.
      ctx.channel().closeFuture().addListener(f -> local.cancel(false));
      answer = local;
    } else {
      answer = router.forward(node, request);
    }
    answer.whenComplete((a, e) -> {
      if (a != null) respond(ctx, a);
      else if (!(e instanceof CancellationException)) respond(ctx, PollAnswer.refused(500, "internal error"));
    });
  }

  /** The query as connect params: the {@code token} among them is the connect token (or none). */
  private static Map<String, String> connectParams(QueryStringDecoder uri, Tokens tokens) {
    Map<String, String> query = new HashMap<>();
    uri.parameters().forEach((k, v) -> query.put(k, v.get(0)));
    query.remove("token");
    if (tokens.connect() != null) query.put("token", tokens.connect());
    return query;
  }

  /** A CORS preflight, answered as Phoenix does. */
  private static void preflight(ChannelHandlerContext ctx, FullHttpRequest req) {
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
    res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS,
        String.join(", ", req.headers().getAll(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS)));
    res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "get, post, options");
    res.headers().set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "3600");
    res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
    res.headers().set(HttpHeaderNames.CONNECTION, "close");
    ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
  }

  private static void respond(ChannelHandlerContext ctx, PollAnswer answer) {
    if (!ctx.channel().isActive()) return;
    ctx.writeAndFlush(response(answer)).addListener(ChannelFutureListener.CLOSE);
  }

  /** {@code answer} as an HTTP response: its JSON, uncached, readable by pages of any site (the Origin check decides who may ask). */
  static FullHttpResponse response(PollAnswer answer) {
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(answer.httpStatus()), Unpooled.wrappedBuffer(answer.json()));
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
    res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    res.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
    res.headers().set(HttpHeaderNames.CONNECTION, "close");
    return res;
  }
}
