package dev.chorus.transport;

import dev.chorus.metrics.Metrics;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.util.ByteString;

/**
 * One LongPoll session: what a {@link WebSocketConnection} is to a WebSocket, for a client that
 * reaches the node by separate HTTP requests. Its session actor ({@link Sessions}) and rooms
 * work exactly as for a WebSocket, through its {@link OutboundQueue}; the queue's "writer" is the
 * pending poll (GET), which takes what is queued (up to max-answer-bytes) or waits for it up to
 * the poll window, then answers 204. At most one poll waits: a newer one answers the older 204
 * (phoenix.js has one in flight; an older one is one it gave up on). POSTed frames go to the
 * session within the same inbound rate as a WebSocket's. A close of the queue (slow consumer,
 * token expiry, drain, disconnect, flood) ends the session once what was queued before it has
 * been polled; a session not polled for the idle timeout ends too. An ended session answers
 * 410, on which phoenix.js reconnects and rejoins.
 *
 * <p>Everything runs on one Netty event loop, the session's, like a WebSocket's handler.
 */
final class LongPollSession {
  final String id;
  final String token;
  private final EventExecutor loop;
  private final OutboundQueue queue;
  private final LongPollSettings settings;
  private final ConnectionSettings connection;
  private final Metrics metrics;
  private final ClientMessages messages;
  private final Runnable onEnd;
  private Sessions.Inbound inbound;
  private CompletableFuture<PollAnswer> pending;
  private ScheduledFuture<?> pendingTimer;
  private ScheduledFuture<?> idleTimer;
  private long lastPoll = System.nanoTime();
  private boolean ended;

  LongPollSession(String id, String token, EventExecutor loop, OutboundQueue queue, LongPollSettings settings,
      ConnectionSettings connection, Metrics metrics, Runnable onEnd) {
    this.id = id;
    this.token = token;
    this.loop = loop;
    this.queue = queue;
    this.settings = settings;
    this.connection = connection;
    this.metrics = metrics;
    this.onEnd = onEnd;
    this.messages = new ClientMessages(queue, connection, metrics);
  }

  /** Starts the session's actor; the client's first poll comes next. */
  void start(Sessions sessions, ConnectParams params) {
    loop.execute(() -> {
      metrics.connectionsOpened.increment();
      inbound = sessions.open(queue, params, Sessions.LONGPOLL);
      queue.attach(() -> loop.execute(this::flush));
      scheduleIdleCheck(settings.idleTimeout().toNanos());
    });
  }

  /** A poll: answered with what is queued, or when something is, or 204 after the window. */
  CompletableFuture<PollAnswer> poll() {
    CompletableFuture<PollAnswer> answer = new CompletableFuture<>();
    loop.execute(() -> onPoll(answer));
    return answer;
  }

  /** A POST's frames, handed to the session in order. */
  CompletableFuture<PollAnswer> post(List<PostedFrame> frames) {
    CompletableFuture<PollAnswer> answer = new CompletableFuture<>();
    loop.execute(() -> {
      if (ended) {
        answer.complete(PollAnswer.gone());
        return;
      }
      for (PostedFrame frame : frames) messages.deliver(ByteString.fromArrayUnsafe(frame.bytes()), frame.binary(), inbound);
      answer.complete(PollAnswer.posted());
    });
    return answer;
  }

  private void onPoll(CompletableFuture<PollAnswer> answer) {
    if (ended) {
      answer.complete(PollAnswer.gone());
      return;
    }
    lastPoll = System.nanoTime();
    if (pending != null) answerPending(PollAnswer.noContent(token)); // the client gave up on it
    if (tryAnswer(answer)) return;
    pending = answer;
    pendingTimer = loop.schedule(() -> {
      if (pending == answer) answerPending(PollAnswer.noContent(token));
    }, settings.window().toNanos(), TimeUnit.NANOSECONDS);
  }

  /** The queue has frames or a close for its writer. */
  private void flush() {
    if (ended) return;
    if (pending != null && (pending.isDone() || tryAnswer(pending))) {
      clearPending();
    } else if (pending == null && queue.closeRequest() != null && queue.queuedFrames() == 0) {
      end(); // nothing left for a poll to take
    }
  }

  /**
   * Answers {@code answer} with what is queued, or 410 once the queue is closed and drained;
   * false when there is nothing yet (the poll waits).
   */
  private boolean tryAnswer(CompletableFuture<PollAnswer> answer) {
    ByteBuf batch = queue.poll(settings.maxAnswerBytes());
    if (batch != null) {
      List<byte[]> messages;
      try {
        messages = PollAnswer.textPayloads(batch);
      } finally {
        batch.release();
      }
      answer.complete(PollAnswer.messages(token, messages));
      lastPoll = System.nanoTime(); // the client polls again as soon as it has the answer
      return true;
    }
    if (queue.closeRequest() != null) {
      end(); // first: the close is counted before the client can see it
      answer.complete(PollAnswer.gone());
      return true;
    }
    return false;
  }

  private void answerPending(PollAnswer answer) {
    pending.complete(answer);
    clearPending();
  }

  private void clearPending() {
    pending = null;
    if (pendingTimer != null) pendingTimer.cancel(false);
    pendingTimer = null;
  }

  /** Ends the session when no poll came for the idle timeout (a waiting poll counts as one). */
  private void scheduleIdleCheck(long nanos) {
    idleTimer = loop.schedule(() -> {
      long idle = System.nanoTime() - lastPoll;
      if (ended) return;
      if (pending != null && !pending.isDone()) {
        scheduleIdleCheck(settings.idleTimeout().toNanos());
      } else if (idle < settings.idleTimeout().toNanos()) {
        scheduleIdleCheck(settings.idleTimeout().toNanos() - idle);
      } else {
        queue.close(CloseReason.IDLE_TIMEOUT, true);
        end();
      }
    }, nanos, TimeUnit.NANOSECONDS);
  }

  /** Frees the session: its queue, its actor (which leaves its rooms), its place in the node's count. */
  private void end() {
    if (ended) return;
    ended = true;
    if (idleTimer != null) idleTimer.cancel(false);
    CloseReason reason = queue.closeRequest();
    metrics.connectionClosed(reason == null ? "normal" : reason.label()); // before the client can see it
    if (pending != null) answerPending(PollAnswer.gone());
    queue.terminate();
    if (inbound != null) inbound.closed();
    onEnd.run();
  }

  /** Ends the session now (the node stops). */
  void close() {
    loop.execute(() -> {
      queue.close(CloseReason.SERVICE_RESTART, true);
      end();
    });
  }
}
