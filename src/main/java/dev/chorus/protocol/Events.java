package dev.chorus.protocol;

/**
 * Event names of the Phoenix protocol, and which ones the server owns.
 *
 * <p>Every event the server sends to clients starts with one of {@link #RESERVED_PREFIXES}:
 * {@code phx_reply}, {@code phx_close}, {@code phx_error} (the protocol's own) and
 * {@code presence_state}, {@code presence_diff}, {@code presence_count} (presence). Clients may
 * not push them: phoenix.js applies what arrives under those names (one forged
 * {@code presence_state {}} would wipe every member's presence list). A server event added
 * later must take one of these prefixes, or a new prefix here.
 */
public final class Events {
  public static final String JOIN = "phx_join";
  public static final String LEAVE = "phx_leave";
  public static final String REPLY = "phx_reply";
  public static final String CLOSE = "phx_close";
  public static final String ERROR = "phx_error";
  public static final String HEARTBEAT = "heartbeat";
  public static final String PRESENCE_STATE = "presence_state";
  public static final String PRESENCE_DIFF = "presence_diff";
  public static final String PRESENCE_COUNT = "presence_count";

  /** The prefixes of every event the server sends: reserved, clients may not push them. */
  static final String[] RESERVED_PREFIXES = {"phx_", "presence_"};

  private Events() {}

  /** Whether the event is the server's own ({@link #RESERVED_PREFIXES}); clients may not push it. */
  public static boolean isReserved(String event) {
    for (String prefix : RESERVED_PREFIXES) if (event.startsWith(prefix)) return true;
    return false;
  }
}
