package dev.chorus.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private final Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10));

  @Test
  void doublesPerAttemptWithinTheUpperHalfOfTheNominalWait() {
    long nominal = 200;
    for (int attempt = 1; attempt <= 12; attempt++) {
      long low = backoff.delay(attempt, 0).toMillis();
      long high = backoff.delay(attempt, 0.999_999_999).toMillis();
      assertEquals(nominal - nominal / 2, low, "attempt " + attempt);
      assertEquals(nominal, high, "attempt " + attempt);
      nominal = Math.min(nominal * 2, 10_000);
    }
  }

  @Test
  void neverPassesTheMaximumNorOverflows() {
    for (int attempt : new int[] {30, 31, 64, 1000, Integer.MAX_VALUE}) {
      for (double r : new double[] {0, 0.5, 1, 2, -1}) {
        long ms = backoff.delay(attempt, r).toMillis();
        assertTrue(ms >= 5_000 && ms <= 10_000, attempt + " " + r + ": " + ms);
      }
    }
    assertEquals(100, backoff.delay(0, 0).toMillis(), "an attempt below 1 counts as the first");
  }
}
