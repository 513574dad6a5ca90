package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** A burst is not a flood; a flood is violations that keep coming for its duration; pauses forget. */
class FloodWatchTest {
  static final long MS = 1_000_000L;

  @Test
  void aBurstHoweverLargeIsNotAFlood() {
    FloodWatch w = new FloodWatch(10_000 * MS, 1_000 * MS);
    for (int i = 0; i < 100_000; i++) assertFalse(w.violation(i * 1_000L)); // 100 000 violations in 0.1 s
  }

  @Test
  void violationsThatKeepComingForTheDurationAreAFlood() {
    FloodWatch w = new FloodWatch(10_000 * MS, 1_000 * MS);
    long t = 0;
    for (; t < 10_000 * MS; t += 900 * MS) assertFalse(w.violation(t), "at " + t / MS + " ms"); // each within the pause
    assertTrue(w.violation(10_000 * MS), "just at the duration: closed");
    assertTrue(w.violation(10_500 * MS), "and beyond");
  }

  @Test
  void aPauseLongerThanFloodPauseForgetsTheFlood() {
    FloodWatch w = new FloodWatch(10_000 * MS, 1_000 * MS);
    long t = 0;
    for (int round = 0; round < 100; round++) { // 100 bursts of 9.5 s of violations, 1.001 s apart: 16 minutes
      long end = t + 9_500 * MS;
      for (; t <= end; t += 100 * MS) assertFalse(w.violation(t), "round " + round);
      t += 1_001 * MS;
    }
    // the pause exactly at flood-pause still continues the flood
    FloodWatch edge = new FloodWatch(2_000 * MS, 1_000 * MS);
    assertFalse(edge.violation(0));
    assertFalse(edge.violation(1_000 * MS));
    assertTrue(edge.violation(2_000 * MS));
  }

  @Test
  void zeroDurationClosesAtTheFirstViolation() {
    assertTrue(new FloodWatch(0, 1_000 * MS).violation(5));
  }

  @Test
  void theTokenBucketPassesItsBurstThenItsRate() {
    TokenBucket b = new TokenBucket(500, 2000, 0);
    for (int i = 0; i < 2000; i++) assertTrue(b.tryTake(0), "the burst, at once: " + i);
    assertFalse(b.tryTake(0));
    assertFalse(b.tryTake(1 * MS), "0.5 token refilled");
    assertTrue(b.tryTake(2 * MS), "one token per 2 ms");
  }
}
