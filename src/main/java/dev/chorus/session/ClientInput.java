package dev.chorus.session;

import dev.chorus.ops.Metrics;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.protocol.ProtocolException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;

/**
 * What both transports do with the bytes a client sends: WebSocket frames are read, pings
 * answered, text frames decoded and handed to the {@link Session} within the inbound rate, and
 * every breach of the protocol or a bound turned into a close request on the
 * {@link OutboundQueue}. Not thread-safe: one per connection, used by its transport only.
 */
final class ClientInput {
  private final ConnectionSettings settings;
  private final Metrics metrics;
  private final OutboundQueue queue;
  private final WebSocketFrameReader reader;
  private final TokenBucket inboundRate;
  private ActorRef<Session.Command> session;
  private int rateViolations;
  private boolean peerClosed;
  private boolean peerBroken;

  ClientInput(ConnectionSettings settings, Metrics metrics, OutboundQueue queue) {
    this.settings = settings;
    this.metrics = metrics;
    this.queue = queue;
    this.reader = new WebSocketFrameReader(settings.maxFrameBytes());
    this.inboundRate = new TokenBucket(settings.inboundRate(), settings.inboundBurst());
  }

  void attach(ActorRef<Session.Command> session) {
    this.session = session;
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
   * has answered the close frame that {@code closeFrameSent} says we sent.
   */
  boolean read(ByteString bytes, boolean closeFrameSent) {
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
