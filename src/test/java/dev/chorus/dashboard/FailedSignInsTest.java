package dev.chorus.dashboard;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class FailedSignInsTest {
  static final long SECOND = 1_000_000_000L;

  @Test
  void tenWrongKeysAMinuteThenNothingUntilItRefills() {
    FailedSignIns limit = new FailedSignIns(10, 0);
    for (int i = 0; i < 10; i++) {
      assertTrue(limit.allowed(0), "try " + i);
      limit.failed(0);
    }
    assertFalse(limit.allowed(0), "the 11th at once");
    assertFalse(limit.allowed(5 * SECOND), "5 s later: half a try back");
    assertTrue(limit.allowed(6 * SECOND), "6 s later: one try back (10 a minute)");
    limit.failed(6 * SECOND);
    assertFalse(limit.allowed(6 * SECOND));
    assertTrue(limit.allowed(600 * SECOND));
  }

  @Test
  void neverSavesMoreThanAMinutesWorth() {
    FailedSignIns limit = new FailedSignIns(3, 0);
    for (int i = 0; i < 3; i++) limit.failed(3600 * SECOND);
    assertFalse(limit.allowed(3600 * SECOND), "an hour of quiet saves 3 tries, not 180");
  }
}
