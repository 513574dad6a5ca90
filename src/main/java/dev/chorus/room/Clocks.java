package dev.chorus.room;

import java.time.Instant;

final class Clocks {
  private Clocks() {}

  /** Wall-clock microseconds since the epoch ({@link Instant} has microsecond precision on Linux). */
  static long epochMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }
}
