package dev.chorus.protocol;

import org.apache.pekko.util.ByteString;

/**
 * One Phoenix Channels v2 message: {@code [join_ref, ref, topic, event, payload]}.
 *
 * <p>The payload is kept as the raw bytes of a JSON object, exactly as the client sent it, so a
 * broadcast can splice it into the outgoing frame without parsing or re-serializing it. A
 * {@code binary} frame came as a binary push ({@link BinaryCodec}): its payload is opaque bytes,
 * broadcast as a binary message.
 */
public record Frame(String joinRef, String ref, String topic, String event, ByteString payload, boolean binary) {

  public static final String HEARTBEAT_TOPIC = "phoenix";

  /** A JSON frame. */
  public Frame(String joinRef, String ref, String topic, String event, ByteString payload) {
    this(joinRef, ref, topic, event, payload, false);
  }

  public boolean isHeartbeat() {
    return HEARTBEAT_TOPIC.equals(topic) && Events.HEARTBEAT.equals(event);
  }
}
