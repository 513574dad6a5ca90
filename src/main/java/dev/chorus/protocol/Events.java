package dev.chorus.protocol;

/** Reserved event names of the Phoenix protocol. */
public final class Events {
  public static final String JOIN = "phx_join";
  public static final String LEAVE = "phx_leave";
  public static final String REPLY = "phx_reply";
  public static final String CLOSE = "phx_close";
  public static final String ERROR = "phx_error";
  public static final String HEARTBEAT = "heartbeat";

  private Events() {}

  /** Events starting with {@code phx_} are the protocol's own; clients may not push them. */
  public static boolean isReserved(String event) {
    return event.startsWith("phx_");
  }
}
