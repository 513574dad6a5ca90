package dev.chorus.transport;

import java.time.Duration;

/**
 * One rate a client's frames must keep to: a {@link TokenBucket} ({@code rate} per second,
 * {@code burst} saved up) and, over it, a {@link FloodWatch} that decides when the excess is a
 * sustained flood. The connection's inbound rate and each join's publish rate are one each.
 * Not thread-safe: used by its connection's event loop or its channel actor alone.
 */
public final class RateLimit {
  /** What to do with a frame: pass it, refuse it ("rate limited"), or refuse it and close (4003). */
  public enum Verdict { PASS, LIMITED, FLOOD }

  private final TokenBucket bucket;
  private final FloodWatch flood;

  public RateLimit(double rate, int burst, Duration floodDuration, Duration floodPause) {
    this.bucket = new TokenBucket(rate, burst);
    this.flood = new FloodWatch(floodDuration.toNanos(), floodPause.toNanos());
  }

  /** One frame's token. */
  public Verdict take() {
    long now = System.nanoTime();
    if (bucket.tryTake(now)) return Verdict.PASS;
    return flood.violation(now) ? Verdict.FLOOD : Verdict.LIMITED;
  }
}
