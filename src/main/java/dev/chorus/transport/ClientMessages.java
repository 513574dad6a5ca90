package dev.chorus.transport;

import dev.chorus.metrics.Metrics;
import dev.chorus.protocol.BinaryCodec;
import dev.chorus.protocol.Frame;
import dev.chorus.protocol.FrameCodec;
import dev.chorus.protocol.ProtocolException;
import dev.chorus.protocol.V1JsonCodec;
import dev.chorus.protocol.Vsn;
import org.apache.pekko.util.ByteString;

/**
 * A connection's messages from its client on their way to its session, whatever carried them (a
 * WebSocket frame, a line of a LongPoll POST): each takes a token of the connection's inbound
 * rate ({@code chorus.connection.inbound-rate}), is decoded by its kind and the connection's
 * serializer, and goes to the session; one over the rate is answered "rate limited" by its ref
 * instead, and a flood that lasts flood-duration closes the connection (4003). Used on the
 * connection's event loop only.
 */
final class ClientMessages {
  private final OutboundQueue queue;
  private final Metrics metrics;
  private final RateLimit inboundRate;

  ClientMessages(OutboundQueue queue, ConnectionSettings settings, Metrics metrics) {
    this.queue = queue;
    this.metrics = metrics;
    this.inboundRate = new RateLimit(settings.inboundRate(), settings.inboundBurst(), settings.floodDuration(), settings.floodPause());
  }

  /** Hands a client's message to its session, within the inbound rate. */
  void deliver(ByteString message, boolean binary, Sessions.Inbound session) {
    if (queue.closeRequest() != null) return; // closing: the client's further messages are moot
    if (withinRate()) {
      try {
        session.frame(decode(message, binary));
      } catch (ProtocolException e) {
        session.badFrame(e);
      }
      return;
    }
    if (queue.closeRequest() != null) return; // that violation was one too many
    try {
      var frame = decode(message, binary);
      if (frame.ref() != null) {
        queue.offer(WebSocketFrames.text(FrameCodec.replyError(frame.joinRef(), frame.ref(), frame.topic(), "rate limited")));
      }
    } catch (ProtocolException e) {
      // an over-rate message that is also malformed gets no more attention than the rate error
    }
  }

  /**
   * Takes one message's token of the inbound rate (pings and pongs count too). Over it: false,
   * the violation counted, and once the client has been over it for flood-duration without a
   * pause ({@link FloodWatch}) the connection is closed (4003).
   */
  boolean withinRate() {
    RateLimit.Verdict verdict = inboundRate.take();
    if (verdict == RateLimit.Verdict.PASS) return true;
    metrics.rateLimited.increment();
    if (verdict == RateLimit.Verdict.FLOOD) queue.close(CloseReason.RATE_LIMITED, false);
    return false;
  }

  /**
   * A binary message is a Phoenix V2 binary push ({@link BinaryCodec}; V1 has no binary form), a
   * text one is read with the connection's serializer (vsn).
   */
  private Frame decode(ByteString message, boolean binary) throws ProtocolException {
    if (binary) return BinaryCodec.decodePush(message);
    return queue.vsn() == Vsn.V1 ? V1JsonCodec.decode(message) : FrameCodec.decode(message);
  }
}
