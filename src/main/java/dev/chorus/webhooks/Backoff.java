package dev.chorus.webhooks;

import java.time.Duration;

/**
 * The wait before a failed batch is sent again: exponential from {@code min}, doubling per
 * attempt up to {@code max}, with "equal jitter" (a random point in the upper half), so that
 * nodes whose backend came back do not all retry in the same instant, and a wait is never
 * under half the nominal one. Pure: the random number is passed in.
 */
public record Backoff(Duration min, Duration max) {

  /** The wait after failed attempt {@code attempt} (1 for the first), {@code random} in [0, 1). */
  public Duration delay(int attempt, double random) {
    long minMs = Math.max(min.toMillis(), 1);
    long maxMs = Math.max(max.toMillis(), minMs);
    int doublings = Math.min(Math.max(attempt - 1, 0), 30);
    long nominal = Math.min(maxMs, minMs << doublings);
    long half = nominal / 2;
    double r = Math.min(Math.max(random, 0), 0.999_999);
    return Duration.ofMillis(nominal - half + (long) (r * (half + 1)));
  }
}
