package dev.chorus.transport;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * New connections per second per IP address: a token bucket per address, for at most
 * {@code trackedIps} addresses (the least recently seen are forgotten first). Thread-safe.
 */
final class ConnectRateLimiter {
  private final double rate;
  private final int burst;
  private final Map<String, TokenBucket> buckets;

  ConnectRateLimiter(double rate, int burst, int trackedIps) {
    this.rate = rate;
    this.burst = burst;
    this.buckets = new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, TokenBucket> eldest) {
        return size() > trackedIps;
      }
    };
  }

  /** Whether a connection from {@code ip} may be made now; always true when the rate is 0. */
  synchronized boolean tryConnect(String ip) {
    if (rate <= 0) return true;
    return buckets.computeIfAbsent(ip, k -> new TokenBucket(rate, burst)).tryTake();
  }
}
