package dev.chorus.transport;

/**
 * Why the server closes a WebSocket: a close code and a short reason sent in the close frame.
 * The 4000-range codes are Chorus's own and are documented in docs/protocol.md. phoenix.js
 * 1.8 reconnects after any close it did not ask for; 1.7 did not after code 1000. So every
 * close the server starts for a fault uses a code other than 1000.
 */
public record CloseReason(int code, String reason) {
  public static final CloseReason NORMAL = new CloseReason(1000, "normal closure");
  /** The client broke the WebSocket protocol; the text says how. */
  public static final int PROTOCOL_ERROR = 1002;
  public static final CloseReason INVALID_UTF8 = new CloseReason(1007, "invalid utf-8");
  public static final CloseReason TOO_BIG = new CloseReason(1009, "frame too large");
  /** The connection's session failed (a bug): reconnect. */
  public static final CloseReason INTERNAL_ERROR = new CloseReason(1011, "internal error");
  /** The node is draining (operator drain, SIGTERM, or the cluster removed it): reconnect elsewhere. */
  public static final CloseReason SERVICE_RESTART = new CloseReason(1012, "service restart: reconnect");
  public static final CloseReason SLOW_CONSUMER = new CloseReason(4000, "slow consumer");
  public static final CloseReason IDLE_TIMEOUT = new CloseReason(4001, "idle timeout");
  /** The text after {@code bad frame:} says what was wrong. */
  public static final int BAD_FRAME = 4002;
  public static final CloseReason RATE_LIMITED = new CloseReason(4003, "rate limited");
  /** The connection's token expired: reconnect with a fresh one. */
  public static final CloseReason TOKEN_EXPIRED = new CloseReason(4004, "token expired");
  /** A backend disconnected this user (POST /api/disconnect). */
  public static final CloseReason DISCONNECTED = new CloseReason(4005, "disconnected by the server");

  public static CloseReason protocolError(String why) {
    return new CloseReason(PROTOCOL_ERROR, why);
  }

  public static CloseReason badFrame(String reason) {
    return new CloseReason(BAD_FRAME, reason);
  }

  /** Label used for the closed-by-reason counter. */
  public String label() {
    return switch (code) {
      case 1000 -> "normal";
      case 1002 -> "protocol_error";
      case 1007 -> "invalid_utf8";
      case 1009 -> "too_big";
      case 1011 -> "internal_error";
      case 1012 -> "service_restart";
      case 4000 -> "slow_consumer";
      case 4001 -> "idle_timeout";
      case BAD_FRAME -> "bad_frame";
      case 4003 -> "rate_limited";
      case 4004 -> "token_expired";
      case 4005 -> "disconnected";
      default -> "other";
    };
  }
}
