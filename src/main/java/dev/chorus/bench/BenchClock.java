package dev.chorus.bench;

import java.time.Instant;

/**
 * The microsecond clock that stamps publishes and measures their arrival.
 *
 * <p>Inside one process the monotonic {@link System#nanoTime()} is used: it is cheap and never
 * jumps. With {@code --processes N} a publisher and its subscribers may live in different JVMs,
 * whose nanoTime origins differ, so every process then uses epoch microseconds instead (all
 * processes run on this machine and read the same wall clock).
 */
final class BenchClock {
  private final boolean epoch;
  private final long originNanos = System.nanoTime();

  BenchClock(boolean epoch) {
    this.epoch = epoch;
  }

  boolean isEpoch() {
    return epoch;
  }

  /** Positive microseconds; only differences between two readings mean anything. */
  long micros() {
    if (epoch) {
      Instant now = Instant.now();
      return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }
    // +1 keeps the value positive: the sign of a stamp carries the phase (see PhoenixFrames).
    return (System.nanoTime() - originNanos) / 1_000 + 1;
  }
}
