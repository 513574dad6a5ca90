package dev.chorus.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LeaveDebounceTest {

  @Test
  void aFlappingUserProducesNothing() {
    LeaveDebounce debounce = new LeaveDebounce(1000, 10);
    assertTrue(debounce.arrived("ann"), "the first arrival is news");
    for (int t = 0; t < 10_000; t += 100) {
      assertEquals(List.of(), debounce.gone("ann", t));
      assertEquals(List.of(), debounce.due(t + 50));
      assertFalse(debounce.arrived("ann"), "back within the delay: no user_joined");
    }
    assertEquals(-1, debounce.untilNext(10_000));
  }

  @Test
  void aLeaveIsDueAfterTheDelay() {
    LeaveDebounce debounce = new LeaveDebounce(1000, 10);
    debounce.gone("ann", 0);
    debounce.gone("bob", 400);
    assertEquals(1000, debounce.untilNext(0));
    assertEquals(List.of(), debounce.due(999));
    assertEquals(List.of("ann"), debounce.due(1000));
    assertEquals(400, debounce.untilNext(1000));
    assertEquals(List.of("bob"), debounce.due(5000));
    assertTrue(debounce.arrived("ann"), "after the leave went, a return is a new user_joined");
  }

  @Test
  void overTheBoundTheOldestLeaveGoesAtOnce() {
    LeaveDebounce debounce = new LeaveDebounce(1000, 2);
    assertEquals(List.of(), debounce.gone("a", 0));
    assertEquals(List.of(), debounce.gone("b", 1));
    assertEquals(List.of("a"), debounce.gone("c", 2));
    assertEquals(2, debounce.waiting());
    assertEquals(List.of("b", "c"), debounce.drain());
  }

  @Test
  void withoutADelayALeaveGoesAtOnce() {
    LeaveDebounce debounce = new LeaveDebounce(0, 2);
    assertEquals(List.of("ann"), debounce.gone("ann", 0));
    assertEquals(0, debounce.waiting());
  }
}
