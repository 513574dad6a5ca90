package dev.chorus.transport;

/** A token bucket: {@code rate} tokens per second, at most {@code burst} saved up. Not thread-safe. */
public final class TokenBucket {
  private final double ratePerNano;
  private final double burst;
  private double tokens;
  private long last;

  public TokenBucket(double ratePerSecond, int burst) {
    this(ratePerSecond, burst, System.nanoTime());
  }

  TokenBucket(double ratePerSecond, int burst, long now) {
    this.ratePerNano = ratePerSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token; false when the bucket is empty. */
  public boolean tryTake() {
    return tryTake(System.nanoTime());
  }

  /** Takes one token at {@code now} (System.nanoTime); false when the bucket is empty. */
  boolean tryTake(long now) {
    tokens = Math.min(burst, tokens + (now - last) * ratePerNano);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }
}
