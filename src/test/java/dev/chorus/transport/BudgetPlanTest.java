package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Choosing which connections the node's outbound budget closes, and reading the budget setting. */
class BudgetPlanTest {
  private static BudgetPlan.Backlog<String> open(String id, long bytes) {
    return new BudgetPlan.Backlog<>(id, bytes, false);
  }

  private static BudgetPlan.Backlog<String> closing(String id, long bytes) {
    return new BudgetPlan.Backlog<>(id, bytes, true);
  }

  @Test
  void withinTheBudgetNobodyIsClosed() {
    assertEquals(List.of(), BudgetPlan.victims(List.of(open("a", 400), open("b", 600)), 1000, 900));
    assertEquals(List.of(), BudgetPlan.victims(List.of(), 1000, 900));
  }

  @Test
  void overTheBudgetTheLargestBacklogGoesFirst() {
    // 1100 > 1000: closing c (500) leaves 600 <= 900
    assertEquals(List.of("c"), BudgetPlan.victims(List.of(open("a", 300), open("b", 300), open("c", 500)), 1000, 900));
  }

  @Test
  void asManyAsItTakesToGetUnderTheTarget() {
    // 1500: closing d (400) leaves 1100, c (350) leaves 750 <= 900
    List<BudgetPlan.Backlog<String>> b = List.of(open("a", 200), open("b", 300), open("c", 350), open("d", 400), open("e", 250));
    assertEquals(List.of("d", "c"), BudgetPlan.victims(b, 1000, 900));
  }

  @Test
  void underTheBudgetButOverTheTargetNobodyIsClosed() {
    // the target only says how far to go once the budget is passed
    assertEquals(List.of(), BudgetPlan.victims(List.of(open("a", 500), open("b", 450)), 1000, 900));
  }

  @Test
  void connectionsAlreadyClosingAreNotChosenAndCountAsFreed() {
    // 1300 with 500 already on its way out: 800 <= 900, nothing more to close
    assertEquals(List.of(), BudgetPlan.victims(List.of(closing("a", 500), open("b", 400), open("c", 400)), 1000, 900));
    // 1600 with 500 going: 1100 left, close b (600, the largest open one)
    assertEquals(List.of("b"), BudgetPlan.victims(List.of(closing("a", 500), open("b", 600), open("c", 500)), 1000, 900));
  }

  @Test
  void manySmallBacklogsAsManyAsItTakes() {
    List<BudgetPlan.Backlog<String>> b = new java.util.ArrayList<>();
    for (int i = 0; i < 12; i++) b.add(open("c" + i, 100));
    assertEquals(3, BudgetPlan.victims(b, 1000, 900).size(), "1200 - 3 x 100 = 900");
  }

  @Test
  void emptyBacklogsAreNeverChosen() {
    assertEquals(List.of("a"), BudgetPlan.victims(List.of(open("z", 0), open("a", 2000)), 1000, 900));
  }

  @Test
  void equalBacklogsAreAllCandidates() {
    List<String> chosen = BudgetPlan.victims(List.of(open("a", 600), open("b", 600), open("c", 600)), 1000, 900);
    assertEquals(2, chosen.size(), "1800 - 600 - 600 = 600 <= 900: " + chosen);
  }

  @Test
  void theBudgetIsASizeOrAShareOfTheDirectMemory() {
    long gib = 1L << 30;
    assertEquals(512L << 20, OutboundBudget.parse(ConfigFactory.parseString("b = 512 MiB"), "b", 2 * gib));
    assertEquals(512L << 20, OutboundBudget.parse(ConfigFactory.parseString("b = \"25%\""), "b", 2 * gib));
    assertEquals(gib / 10, OutboundBudget.parse(ConfigFactory.parseString("b = \"10 %\""), "b", gib));
    assertThrows(IllegalArgumentException.class, () -> OutboundBudget.parse(ConfigFactory.parseString("b = \"0%\""), "b", gib));
    assertThrows(IllegalArgumentException.class, () -> OutboundBudget.parse(ConfigFactory.parseString("b = \"150%\""), "b", gib));
    assertThrows(IllegalArgumentException.class, () -> OutboundBudget.parse(ConfigFactory.parseString("b = \"x%\""), "b", gib));
  }
}
