package dev.chorus.dashboard;

/**
 * Wrong keys at the sign-in form, per node: a bucket of {@code perMinute} that each wrong key
 * empties by one and that refills at {@code perMinute} a minute. While it is empty every attempt
 * is refused, the right key too, so guessing the key costs a minute per {@code perMinute} tries.
 * (Someone who keeps it empty keeps operators out of the dashboard meanwhile, not out of the
 * admin API: the port is for operators only.) Thread-safe: sign-ins arrive on Pekko HTTP's threads.
 */
final class FailedSignIns {
  private final int perMinute;
  private double tokens;
  private long last;

  FailedSignIns(int perMinute, long nowNanos) {
    this.perMinute = perMinute;
    this.tokens = perMinute;
    this.last = nowNanos;
  }

  /** Whether a sign-in may be tried now. */
  synchronized boolean allowed(long nowNanos) {
    refill(nowNanos);
    return tokens >= 1;
  }

  /** A wrong key was given. */
  synchronized void failed(long nowNanos) {
    refill(nowNanos);
    tokens = Math.max(0, tokens - 1);
  }

  private void refill(long nowNanos) {
    tokens = Math.min(perMinute, tokens + (nowNanos - last) * perMinute / 60e9);
    last = nowNanos;
  }
}
