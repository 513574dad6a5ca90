package dev.chorus.transport;

import com.typesafe.config.Config;
import dev.chorus.metrics.Metrics;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the node's outbound backlog ({@link Metrics#outboundBacklogBytes}: what is queued for
 * all clients and not yet taken by their sockets) within chorus.connection.outbound-node-budget.
 * Run every {@link #CHECK_MILLIS} on an event loop: under budget it costs one sum; over it, it
 * reads every open connection's backlog and closes the largest ones as slow consumers
 * ({@link SlowReason#BUDGET}, 4000, queue dropped) until the rest is under {@link #TARGET} of the
 * budget ({@link BudgetPlan}). The frames' own path (offer, write) never waits for it.
 */
final class OutboundBudget implements Runnable {
  /**
   * How often the backlog is compared with the budget: at the 200 MB/s a node writes flat out,
   * it can pass the budget by ~20 MB before the check sees it.
   */
  static final long CHECK_MILLIS = 100;
  /** Over budget, connections are closed until the backlog is under this share of it, so that it is not crossed again at once. */
  static final double TARGET = 0.9;

  private final Connections connections;
  private final long budget;
  private final Metrics metrics;

  OutboundBudget(Connections connections, long budget, Metrics metrics) {
    this.connections = connections;
    this.budget = budget;
    this.metrics = metrics;
  }

  @Override
  public void run() {
    if (metrics.outboundBacklogBytes.sum() <= budget) return;
    List<BudgetPlan.Backlog<OutboundQueue>> backlogs = new ArrayList<>();
    for (OutboundQueue queue : connections.queues()) {
      long bytes = queue.backlogBytes();
      if (bytes > 0) backlogs.add(new BudgetPlan.Backlog<>(queue, bytes, queue.closeRequest() != null));
    }
    for (OutboundQueue queue : BudgetPlan.victims(backlogs, budget, (long) (budget * TARGET))) {
      queue.closeSlow(SlowReason.BUDGET);
    }
  }

  /**
   * The budget {@code key} of {@code c} sets, in bytes: a size ({@code 512 MiB}), or a share of
   * {@code maxDirectMemory} ({@code 25%}).
   */
  static long parse(Config c, String key, long maxDirectMemory) {
    String value = c.getString(key).trim();
    if (!value.endsWith("%")) return c.getBytes(key);
    double percent;
    try {
      percent = Double.parseDouble(value.substring(0, value.length() - 1).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("chorus.connection." + key + ": a size or a percentage of the direct memory, got '" + value + "'");
    }
    if (!(percent > 0 && percent <= 100)) throw new IllegalArgumentException("chorus.connection." + key + ": a percentage in (0, 100], got '" + value + "'");
    return (long) (maxDirectMemory * percent / 100);
  }
}
