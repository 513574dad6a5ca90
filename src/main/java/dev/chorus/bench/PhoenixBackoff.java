package dev.chorus.bench;

/**
 * phoenix.js's retry schedules, which the chaos clients follow so that a node's loss meets the
 * reconnect storm real clients make: {@code Socket.reconnectAfterMs} (after a connection closed
 * or failed; the count starts again once a connection opens) and {@code Channel.rejoinAfterMs}
 * (after a join was refused or timed out; the count starts again once a join succeeds).
 */
final class PhoenixBackoff {
  private static final long[] RECONNECT_MILLIS = {10, 50, 100, 150, 200, 250, 500, 1000, 2000};
  private static final long RECONNECT_LAST_MILLIS = 5000;
  private static final long[] REJOIN_MILLIS = {1000, 2000, 5000};
  private static final long REJOIN_LAST_MILLIS = 10_000;

  private PhoenixBackoff() {}

  /** Wait before reconnect attempt number {@code tries} (1 for the first after a close). */
  static long reconnectAfterMillis(int tries) {
    return tries >= 1 && tries <= RECONNECT_MILLIS.length ? RECONNECT_MILLIS[tries - 1] : RECONNECT_LAST_MILLIS;
  }

  /** Wait before rejoin attempt number {@code tries} (1 for the first after a failed join). */
  static long rejoinAfterMillis(int tries) {
    return tries >= 1 && tries <= REJOIN_MILLIS.length ? REJOIN_MILLIS[tries - 1] : REJOIN_LAST_MILLIS;
  }
}
