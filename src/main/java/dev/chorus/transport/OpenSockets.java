package dev.chorus.transport;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's open TCP connections on the WebSocket port, counted from the moment they are
 * accepted (before any byte of a request, so half-sent requests count as well as WebSockets)
 * until they close: at most {@code max} on the node and at most {@code maxPerIp} from one
 * address (0: no per-address limit). An address has an entry only while it has connections
 * open, so the map holds at most {@code max} entries. Thread-safe.
 */
final class OpenSockets {
  /** Refusal labels of {@code chorus_connections_refused_total}. */
  static final String NODE_LIMIT = "node_limit";
  static final String IP_LIMIT = "ip_limit";

  private final int max;
  private final int maxPerIp;
  private final AtomicInteger open = new AtomicInteger();
  private final CountsPerKey perIp = new CountsPerKey();

  OpenSockets(int max, int maxPerIp) {
    this.max = max;
    this.maxPerIp = maxPerIp;
  }

  /**
   * Counts a new connection from {@code ip} as open and returns null, or returns why it may not
   * be ({@link #IP_LIMIT}, {@link #NODE_LIMIT}) and counts nothing.
   */
  String tryOpen(String ip) {
    if (maxPerIp > 0 && !perIp.tryAcquire(ip, maxPerIp)) return IP_LIMIT;
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      if (maxPerIp > 0) perIp.release(ip);
      return NODE_LIMIT;
    }
    return null;
  }

  /** A connection that {@link #tryOpen} counted has closed. */
  void closed(String ip) {
    open.decrementAndGet();
    if (maxPerIp > 0) perIp.release(ip);
  }

  int open() {
    return open.get();
  }

  /** Addresses with connections open (while a per-address limit is set). */
  int addresses() {
    return perIp.keys();
  }
}
