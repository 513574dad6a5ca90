package dev.chorus.transport;

import dev.chorus.protocol.Frame;
import dev.chorus.protocol.ProtocolException;

/**
 * What runs a connection's protocol once its upgrade is admitted: the layer above the
 * transport (a Session actor per connection) implements it, so that this package never names
 * it. The transport hands the session every decoded frame and tells it when the connection ends;
 * the session answers through the connection's {@link OutboundQueue}.
 */
public interface Sessions {

  /** The transports, as the admin API's user lookup and the connect hook name them. */
  String WEBSOCKET = "websocket", LONGPOLL = "longpoll";

  /** Starts the session of a new connection over {@code transport} ({@link #WEBSOCKET} or {@link #LONGPOLL}). */
  Inbound open(OutboundQueue queue, ConnectParams params, String transport);

  /** A session's inbox as the transport sees it; called on the connection's event loop. */
  interface Inbound {
    /** A decoded frame from the client, within the connection's inbound rate. */
    void frame(Frame frame);

    /** A text frame that could not be decoded. */
    void badFrame(ProtocolException error);

    /** The connection has ended, whoever ended it; called once. */
    void closed();
  }
}
