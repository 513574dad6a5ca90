package dev.chorus.session;

import dev.chorus.ops.Metrics;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.protocol.ProtocolException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;

/**
 * What both transports ({@link WebSocketConnection}, {@link NettyConnection}) share of a
 * connection: its session, what it does with the bytes the client sends (WebSocket frames read,
 * pings answered, text frames decoded and handed to the {@link Session} within the inbound rate,
 * every breach of the protocol or a bound turned into a close request on the
 * {@link OutboundQueue}), the idle timeout, what to write next, and the bookkeeping at its end.
 * The transports keep only their I/O and timers. Not thread-safe: one per connection, used by
 * its transport only.
 */
final class ConnectionCore {
  private final ConnectionSettings settings;
  private final Metrics metrics;
  private final OutboundQueue queue;
  private final WebSocketFrameReader reader;
  private final TokenBucket inboundRate;
  private final long idleNanos;
  private ActorRef<Session.Command> session;
  private int rateViolations;
  private long lastInbound = System.nanoTime();
  private boolean peerClosed;
  private boolean peerBroken;
  private CloseReason closing; // set once the transport has seen the close request
  private boolean closeFrameSent;

  ConnectionCore(ConnectionSettings settings, Metrics metrics, OutboundQueue queue) {
    this.settings = settings;
    this.metrics = metrics;
    this.queue = queue;
    this.reader = new WebSocketFrameReader(settings.maxFrameBytes());
    this.inboundRate = new TokenBucket(settings.inboundRate(), settings.inboundBurst());
    this.idleNanos = settings.idleTimeout().toNanos();
  }

  /** The connection is open: its session starts, and the queue wakes the transport's writer. */
  void start(Function<OutboundQueue, ActorRef<Session.Command>> sessionFactory, Runnable wakeWriter) {
    metrics.connectionsOpened.increment();
    session = sessionFactory.apply(queue);
    queue.attach(wakeWriter);
  }

  /** The client sent its close frame. */
  boolean peerClosed() {
    return peerClosed;
  }

  /** The client broke the protocol; nothing more is read, and no close echo will come. */
  boolean peerBroken() {
    return peerBroken;
  }

  /** Whether reading should go on. */
  boolean reading() {
    return !peerClosed && !peerBroken;
  }

  /**
   * Reads what the client sent. Returns true when the connection should end at once: the client
   * has answered our close frame.
   */
  boolean read(ByteString bytes) {
    lastInbound = System.nanoTime();
    reader.feed(bytes);
    WebSocketFrameReader.Event event;
    while (!peerClosed && (event = reader.poll()) != null) {
      if (event instanceof WebSocketFrameReader.Text text) {
        onText(text.payload());
      } else if (event instanceof WebSocketFrameReader.Ping ping) {
        queue.offer(WebSocketFrames.pong(ping.payload()));
      } else if (event instanceof WebSocketFrameReader.Binary) {
        queue.close(CloseReason.BINARY_UNSUPPORTED, false);
      } else if (event instanceof WebSocketFrameReader.Violation v) {
        peerBroken = true; // end as soon as our close frame is written
        queue.close(v.reason(), false);
      } else if (event instanceof WebSocketFrameReader.Close c) {
        peerClosed = true;
        // Echo the peer's code (RFC 6455 §5.5.1); when we started the close, we are done.
        if (closeFrameSent) return true;
        queue.close(c.code() == 1005 || c.code() < 1000 ? CloseReason.NORMAL : new CloseReason(c.code(), ""), false);
      } // a Pong needs nothing
    }
    return false;
  }

  /**
   * Closes the connection (4001) when nothing came in for the idle timeout; else returns how long
   * until the next check is due. Returns 0 once the close is requested.
   */
  long checkIdle() {
    long idle = System.nanoTime() - lastInbound;
    if (idle < idleNanos) return idleNanos - idle;
    queue.close(CloseReason.IDLE_TIMEOUT, false);
    return 0;
  }

  /**
   * True once, when the transport first sees that the connection is closing: it then starts its
   * close timer, since a slow consumer's socket may never drain.
   */
  boolean closeStarted() {
    if (closing != null || closeFrameSent) return false;
    closing = queue.closeRequest();
    return closing != null;
  }

  /**
   * The next bytes to write: a batch of queued frames, then, once the queue is drained and the
   * connection is closing, the close frame; null when there is nothing to write.
   */
  ByteString nextWrite() {
    if (closeFrameSent) return null;
    ByteString batch = queue.poll(settings.writeBatchBytes());
    if (batch != null || closing == null) return batch;
    closeFrameSent = true;
    return WebSocketFrames.close(closing);
  }

  /** After the close frame is written, end at once when no close echo will come. */
  boolean endAfterCloseFrame() {
    return closeFrameSent && !reading();
  }

  /** The connection has ended, whoever ended it: free the queue, count it, tell the session. */
  void ended() {
    queue.terminate();
    metrics.connectionClosed(closing == null ? "peer" : closing.label());
    if (session != null) session.tell(new Session.ConnectionClosed());
  }

  private void onText(ByteString message) {
    if (queue.closeRequest() != null) return; // closing: the client's further frames are moot
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
}
