package dev.chorus.transport;

import io.netty.util.concurrent.EventExecutor;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The LongPoll sessions this node holds, by id, at most {@code chorus.longpoll.max-sessions}.
 * A new one is admitted like a WebSocket upgrade ({@link ConnectionAdmission}: draining, origin,
 * joins in progress, connect rate, token, connections per user) and counts among the node's
 * connections (drain, per-user limit, outbound budget, API disconnect). Requests name a session
 * by its token ({@link LongPollToken}); this node answers those naming one of its own, whether
 * they reached it directly or were forwarded by another node ({@link LongPollRouter}).
 */
public final class LongPollSessions {
  /** Label of chorus_longpoll_refusals_total for a new session over max-sessions. */
  static final String SESSION_LIMIT = "session_limit";
  static final String SESSION_LIMIT_TEXT = "this node is at its LongPoll session limit: connect to another node";

  private final LongPollSettings settings;
  private final ConnectionAdmission admission;
  private final Sessions sessions;
  private final LongPollToken tokens;
  private final Map<String, LongPollSession> byId = new ConcurrentHashMap<>();
  private final AtomicInteger count = new AtomicInteger();

  public LongPollSessions(LongPollSettings settings, ConnectionAdmission admission, Sessions sessions, LongPollToken tokens) {
    this.settings = settings;
    this.admission = admission;
    this.sessions = sessions;
    this.tokens = tokens;
    admission.metrics().longPollSessions(count::get);
  }

  LongPollSettings settings() {
    return settings;
  }

  ConnectionAdmission admission() {
    return admission;
  }

  /** This node's address, as its tokens name it. */
  String node() {
    return tokens.node();
  }

  /**
   * A new session for a poll without a token, run on {@code loop}: answered 410 with its token
   * (phoenix.js then opens and polls with it), or refused as an upgrade would be.
   */
  PollAnswer open(Map<String, String> query, String ip, String origin, String host, AuthToken authToken, EventExecutor loop) {
    if (!reserve()) return PollAnswer.refused(503, SESSION_LIMIT_TEXT);
    return opened(admission.admit(query, ip, origin, host, authToken), loop);
  }

  /**
   * As {@link #open}, asking the connect hook if it is on ({@link ConnectionAdmission#admitAsync}):
   * answered on {@code loop}; null if the client has gone meanwhile (nothing is made for it).
   */
  CompletionStage<PollAnswer> openAsync(Map<String, String> query, String ip, String origin, String host, AuthToken authToken,
      Map<String, String> headers, EventExecutor loop, BooleanSupplier stillWanted) {
    if (!reserve()) return CompletableFuture.completedFuture(PollAnswer.refused(503, SESSION_LIMIT_TEXT));
    return admission.admitAsync(query, ip, origin, host, authToken, headers, "longpoll", loop, stillWanted)
        .thenApply(admitted -> {
          if (admitted != null) return opened(admitted, loop);
          count.decrementAndGet();
          return null;
        });
  }

  /** One more session, if under chorus.longpoll.max-sessions; else counted as refused. */
  private boolean reserve() {
    if (count.incrementAndGet() > settings.maxSessions()) {
      count.decrementAndGet();
      admission.metrics().longPollRefused(SESSION_LIMIT);
      return false;
    }
    return true;
  }

  /** The session of an admission, or its refusal (the reserved place freed). */
  private PollAnswer opened(ConnectionAdmission.Admission admitted, EventExecutor loop) {
    if (admitted.refusal() != null) {
      count.decrementAndGet();
      return admitted.status() == 403 ? PollAnswer.forbidden(admitted.refusal())
          : PollAnswer.refused(admitted.status(), admitted.refusal());
    }
    String id = LongPollToken.newSessionId();
    String token = tokens.issue(id);
    LongPollSession session = new LongPollSession(id, token, loop, admitted.queue(), settings,
        admission.settings(), admission.metrics(), () -> {
          byId.remove(id);
          count.decrementAndGet();
        });
    byId.put(id, session);
    session.start(sessions, admitted.params());
    return PollAnswer.created(token);
  }

  /** A poll of the session {@code token} names, if it is one of this node's; else 410. */
  CompletableFuture<PollAnswer> poll(String token) {
    LongPollSession session = find(token);
    return session == null ? gone() : session.poll();
  }

  /** A POST's frames for the session {@code token} names, if it is one of this node's; else 410. */
  CompletableFuture<PollAnswer> post(String token, List<PostedFrame> frames) {
    LongPollSession session = find(token);
    return session == null ? gone() : session.post(frames);
  }

  private LongPollSession find(String token) {
    String id = tokens.verify(token);
    return id == null ? null : byId.get(id);
  }

  private CompletableFuture<PollAnswer> gone() {
    admission.metrics().longPollRefused("unknown_session");
    return CompletableFuture.completedFuture(PollAnswer.gone());
  }

  /** Sessions held now. */
  public int count() {
    return count.get();
  }

  /** Ends every session (the node stops). */
  public void closeAll() {
    byId.values().forEach(LongPollSession::close);
  }
}
