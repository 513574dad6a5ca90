package dev.chorus.transport;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ids of connections, unique cluster-wide with overwhelming odds: a random 64-bit start drawn
 * once per node, then a counter. A connection keeps its id as a long (8 bytes, rendered as 16
 * hex digits only when a backend or a presence key needs it), and opening one costs no
 * SecureRandom draw, as {@code UUID.randomUUID()} would on every upgrade of a reconnect storm.
 */
public final class ConnectionIds {
  private static final AtomicLong NEXT = new AtomicLong(new SecureRandom().nextLong());

  private ConnectionIds() {}

  static long next() {
    return NEXT.getAndIncrement();
  }

  /** An id as 16 lowercase hex digits. */
  public static String render(long id) {
    return HexFormat.of().toHexDigits(id);
  }
}
