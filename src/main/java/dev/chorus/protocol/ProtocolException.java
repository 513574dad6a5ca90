package dev.chorus.protocol;

/**
 * A client frame that is not a valid Phoenix v2 message. It carries whatever could be read
 * before the problem (ref, join_ref, topic), so the session can answer with a {@code phx_reply}
 * error when there is a ref to answer, and close the connection when there is none.
 */
public final class ProtocolException extends Exception {
  private final String joinRef;
  private final String ref;
  private final String topic;

  public ProtocolException(String reason, String joinRef, String ref, String topic) {
    super(reason, null, false, false); // no stack trace: this is a client's mistake, not ours
    this.joinRef = joinRef;
    this.ref = ref;
    this.topic = topic;
  }

  public String reason() {
    return getMessage();
  }

  public String joinRef() {
    return joinRef;
  }

  /** The ref of the broken frame, or null when none could be read. */
  public String ref() {
    return ref;
  }

  public String topic() {
    return topic;
  }
}
