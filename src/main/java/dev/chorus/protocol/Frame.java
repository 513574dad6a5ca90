package dev.chorus.protocol;

import org.apache.pekko.util.ByteString;

/**
 * One Phoenix Channels v2 message: {@code [join_ref, ref, topic, event, payload]}.
 *
 * <p>The payload is kept as the raw bytes of a JSON object, exactly as the client sent it, so a
 * broadcast can splice it into the outgoing frame without parsing or re-serializing it.
 */
public record Frame(String joinRef, String ref, String topic, String event, ByteString payload) {

  public static final String HEARTBEAT_TOPIC = "phoenix";

  public boolean isHeartbeat() {
    return HEARTBEAT_TOPIC.equals(topic) && Events.HEARTBEAT.equals(event);
  }
}
