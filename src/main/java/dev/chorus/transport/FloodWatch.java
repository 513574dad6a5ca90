package dev.chorus.transport;

/**
 * Tells a burst from a flood. A client over its rate gets "rate limited" replies; it is closed
 * (4003) only when it keeps going over its rate for {@code duration}: a flood starts with a
 * rate-limited frame and goes on while the next one follows within {@code pause}; a pause
 * longer than that ends it, and the next violation starts a new one from zero. So a burst,
 * however large, is never closed by itself, and violations decay: a long-lived client that is
 * bursty now and then is never closed for its total. Pure and not thread-safe: one per limit of
 * one connection.
 */
public final class FloodWatch {
  private final long durationNanos;
  private final long pauseNanos;
  private boolean flooding;
  private long floodStart;
  private long lastViolation;

  public FloodWatch(long durationNanos, long pauseNanos) {
    this.durationNanos = durationNanos;
    this.pauseNanos = pauseNanos;
  }

  /** A rate-limited frame at {@code now} (System.nanoTime); true when the flood has lasted its duration: close. */
  public boolean violation(long now) {
    if (!flooding || now - lastViolation > pauseNanos) {
      flooding = true;
      floodStart = now;
    }
    lastViolation = now;
    return now - floodStart >= durationNanos;
  }
}
