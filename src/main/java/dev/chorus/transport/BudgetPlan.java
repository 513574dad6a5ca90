package dev.chorus.transport;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Which connections to close when the node's outbound backlog is over its budget
 * (chorus.connection.outbound-node-budget): the largest backlogs first, until what is left is
 * under a target below the budget. Pure, so that {@link OutboundBudget} only gathers and acts.
 */
final class BudgetPlan {
  private BudgetPlan() {}

  /** One connection's backlog in bytes, and whether it is already closing. */
  record Backlog<T>(T connection, long bytes, boolean closing) {}

  /**
   * The connections to close, largest backlog first: none while the backlogs add up to at most
   * {@code budget}; else as many as it takes for the rest to be at most {@code target}.
   * Connections already closing are never chosen, and their backlog counts as freed (it goes
   * when they end), so that a check that runs again before they have ended closes no more.
   */
  static <T> List<T> victims(List<Backlog<T>> backlogs, long budget, long target) {
    long total = 0, freed = 0;
    for (Backlog<T> b : backlogs) {
      total += b.bytes();
      if (b.closing()) freed += b.bytes();
    }
    if (total <= budget) return List.of();
    List<Backlog<T>> open = new ArrayList<>();
    for (Backlog<T> b : backlogs) if (!b.closing() && b.bytes() > 0) open.add(b);
    open.sort(Comparator.comparingLong((Backlog<T> b) -> b.bytes()).reversed());
    List<T> chosen = new ArrayList<>();
    for (Backlog<T> b : open) {
      if (total - freed <= target) break;
      chosen.add(b.connection());
      freed += b.bytes();
    }
    return chosen;
  }
}
