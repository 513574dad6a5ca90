package dev.chorus.transport;

import static dev.chorus.transport.StallWatch.Verdict.DRAINED;
import static dev.chorus.transport.StallWatch.Verdict.STALLED;
import static dev.chorus.transport.StallWatch.Verdict.WAITING;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The write deadline's bookkeeping: stalled only after a whole timeout without draining once. */
class StallWatchTest {
  private static final long S = 1_000_000_000L;
  private static final long T = 10 * S;

  @Test
  void aSocketThatHoldsNothingIsNeverStalled() {
    StallWatch w = new StallWatch(T, 0);
    assertEquals(DRAINED, w.check(0, 100 * S));
    assertEquals(DRAINED, w.check(0, 1000 * S));
  }

  @Test
  void bytesWaitingTheWholeTimeoutWithoutDrainingAreAStall() {
    StallWatch w = new StallWatch(T, 0);
    w.observe(0, 5 * S); // last seen empty
    w.observe(4096, 5 * S); // the write that then left bytes waiting
    assertEquals(WAITING, w.check(8192, 14 * S));
    assertEquals(S, w.remaining(14 * S), "due at drained + timeout");
    assertEquals(STALLED, w.check(8192, 15 * S), "exactly the timeout");
    assertEquals(STALLED, w.check(1, 40 * S));
  }

  @Test
  void drainingOnceRestartsTheDeadline() {
    StallWatch w = new StallWatch(T, 0);
    w.observe(100_000, 1 * S);
    w.observe(0, 9 * S); // a client that reads slowly caught up here
    w.observe(50_000, 9 * S);
    assertEquals(WAITING, w.check(50_000, 12 * S), "not stalled: it drained 3 s ago");
    assertEquals(7 * S, w.remaining(12 * S));
    assertEquals(STALLED, w.check(50_000, 19 * S));
  }

  @Test
  void theCheckItselfSeesADrainedSocket() {
    StallWatch w = new StallWatch(T, 0);
    w.observe(10, 0);
    assertEquals(DRAINED, w.check(0, 30 * S), "drained since, though the writer did not run");
    w.observe(10, 31 * S);
    assertEquals(WAITING, w.check(10, 35 * S), "the deadline counts from the drain the check saw");
    assertEquals(STALLED, w.check(10, 40 * S));
  }

  @Test
  void aNewConnectionCountsAsDrainedWhenCreated() {
    StallWatch w = new StallWatch(T, 7 * S);
    assertEquals(WAITING, w.check(1, 16 * S));
    assertEquals(STALLED, w.check(1, 17 * S));
  }
}
