package dev.chorus.ops;

import java.time.Duration;

/**
 * The arithmetic of one drain, apart from the {@link Drainer} actor so that it is tested without
 * one: how many batches, how many connections each batch brings the closed total up to, how often
 * a batch is closed, and how long the drain may take before it answers anyway.
 *
 * <p>{@code total} is the number of connections open when the drain started. Batch {@code k} of
 * {@code n} brings the connections asked to close up to {@code ceil(total * k / n)}; the last
 * batch closes {@link #ALL}, whatever is still open.
 *
 * @param total connections open at the start
 * @param batches how many batches: window / interval (at least one), one when immediate
 * @param tick how often a batch is closed
 * @param budget from the start, how long until the drain answers even with connections left
 */
public record DrainPlan(int total, int batches, Duration tick, Duration budget) {

  /** The target of the last batch: every connection still open. */
  public static final int ALL = Integer.MAX_VALUE;

  /** How often an immediate drain looks whether every connection has ended. */
  static final Duration IMMEDIATE_TICK = Duration.ofMillis(100);

  /** Slack on top of window and close timeout before the drain answers anyway. */
  static final Duration SLACK = Duration.ofSeconds(1);

  /** The plan for {@code total} open connections under {@code settings}. */
  public static DrainPlan of(int total, Drainer.Settings settings, boolean immediately) {
    if (immediately) return new DrainPlan(total, 1, IMMEDIATE_TICK, settings.closeTimeout().plus(SLACK));
    int batches = (int) Math.max(1, settings.window().toMillis() / Math.max(1, settings.interval().toMillis()));
    return new DrainPlan(total, batches, settings.interval(), settings.window().plus(settings.closeTimeout()).plus(SLACK));
  }

  /** How many connections are asked to close once batch {@code k} (from 1) is done. */
  public int target(int k) {
    if (k >= batches) return ALL;
    return (int) (((long) total * k + batches - 1) / batches); // ceil(total * k / batches), exact
  }

  /** When (in {@link System#nanoTime()} terms) a drain that started at {@code startNanos} gives up waiting. */
  public long deadlineNanos(long startNanos) {
    return startNanos + budget.toNanos();
  }
}
