package dev.chorus.ops;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The batch arithmetic of a drain. */
class DrainPlanTest {
  static Drainer.Settings settings(long windowMillis, long intervalMillis) {
    return new Drainer.Settings(Duration.ofMillis(windowMillis), Duration.ofMillis(intervalMillis), Duration.ofSeconds(5));
  }

  static List<Integer> targets(DrainPlan plan) {
    List<Integer> out = new ArrayList<>();
    for (int k = 1; k <= plan.batches(); k++) out.add(plan.target(k));
    return out;
  }

  @Test
  void batchesSpreadTheConnectionsEvenlyOverTheWindow() {
    DrainPlan plan = DrainPlan.of(100, settings(10_000, 1_000), false);
    assertEquals(10, plan.batches());
    assertEquals(List.of(10, 20, 30, 40, 50, 60, 70, 80, 90, DrainPlan.ALL), targets(plan));
    assertEquals(Duration.ofSeconds(1), plan.tick());
  }

  @Test
  void targetsRoundUp() {
    DrainPlan plan = DrainPlan.of(10, settings(3_000, 1_000), false);
    assertEquals(List.of(4, 7, DrainPlan.ALL), targets(plan)); // ceil(10/3), ceil(20/3), the rest
  }

  @Test
  void noConnections() {
    DrainPlan plan = DrainPlan.of(0, settings(10_000, 1_000), false);
    assertEquals(10, plan.batches());
    for (int k = 1; k < plan.batches(); k++) assertEquals(0, plan.target(k));
    assertEquals(DrainPlan.ALL, plan.target(plan.batches()));
  }

  @Test
  void fewerConnectionsThanBatches() {
    DrainPlan plan = DrainPlan.of(3, settings(10_000, 1_000), false);
    // One connection in each of the batches 1, 4 and 7 (ceil(3k/10) steps there), none between.
    assertEquals(List.of(1, 1, 1, 2, 2, 2, 3, 3, 3, DrainPlan.ALL), targets(plan));
  }

  @Test
  void aWindowNotAMultipleOfTheIntervalHasWholeBatchesOnly() {
    DrainPlan plan = DrainPlan.of(100, settings(2_500, 1_000), false);
    assertEquals(2, plan.batches());
    assertEquals(List.of(50, DrainPlan.ALL), targets(plan));
  }

  @Test
  void anIntervalLongerThanTheWindowIsOneBatch() {
    DrainPlan plan = DrainPlan.of(100, settings(500, 1_000), false);
    assertEquals(1, plan.batches());
    assertEquals(List.of(DrainPlan.ALL), targets(plan));
  }

  @Test
  void aZeroIntervalDoesNotDivideByZero() {
    assertEquals(10_000, DrainPlan.of(100, settings(10_000, 0), false).batches());
  }

  @Test
  void anImmediateDrainIsOneBatchOfEverything() {
    DrainPlan plan = DrainPlan.of(100, settings(10_000, 1_000), true);
    assertEquals(1, plan.batches());
    assertEquals(DrainPlan.ALL, plan.target(1));
    assertEquals(Duration.ofMillis(100), plan.tick());
  }

  @Test
  void theDeadlineIsTheWindowPlusTheCloseTimeoutPlusASecond() {
    DrainPlan plan = DrainPlan.of(100, settings(10_000, 1_000), false);
    assertEquals(Duration.ofSeconds(16), plan.budget());
    assertEquals(7 + Duration.ofSeconds(16).toNanos(), plan.deadlineNanos(7));
    // Immediately: no window to wait for.
    assertEquals(Duration.ofSeconds(6), DrainPlan.of(100, settings(10_000, 1_000), true).budget());
  }

  @Test
  void targetsAreMonotonicAndEndAtAll() {
    for (int total : new int[] {0, 1, 2, 7, 99, 100, 101, 12_345, Integer.MAX_VALUE / 2}) {
      for (long window : new long[] {0, 999, 1_000, 2_500, 30_000, 600_000}) {
        DrainPlan plan = DrainPlan.of(total, settings(window, 1_000), false);
        int previous = 0;
        for (int k = 1; k <= plan.batches(); k++) {
          int target = plan.target(k);
          assertTrue(target >= previous, "batch " + k + " of " + plan);
          assertTrue(k == plan.batches() || target <= total, "batch " + k + " of " + plan);
          previous = target;
        }
        assertEquals(DrainPlan.ALL, plan.target(plan.batches()), plan.toString());
      }
    }
  }
}
