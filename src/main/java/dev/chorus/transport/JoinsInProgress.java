package dev.chorus.transport;

import dev.chorus.metrics.Metrics;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's joins in progress: sent by a session to the rooms and not answered yet, counted
 * across all connections ({@code chorus_joins_in_progress}). At {@code max} of them the node is
 * behind (it answers a join in milliseconds when it keeps up), so {@link ConnectionAdmission}
 * refuses new upgrades (503, {@code overloaded}) until the count falls under it again: the
 * clients of a reconnect storm back off and retry instead of piling more joins into queues
 * that would time out. Joins of connections already open are never refused by it, so the count
 * may pass {@code max} for a while. 0: no bound (the count is kept all the same).
 *
 * <p>Each connection's share is an {@link OfConnection}: it takes out of the count only what
 * it put in, so a join is counted out exactly once and the count never goes below zero.
 * Thread-safe; an {@code OfConnection} belongs to one session actor.
 */
public final class JoinsInProgress {
  private final int max;
  private final Metrics metrics;
  private final AtomicInteger count = new AtomicInteger();

  public JoinsInProgress(int max, Metrics metrics) {
    if (max < 0) throw new IllegalArgumentException("chorus.connection.max-joins-in-progress must be >= 0");
    this.max = max;
    this.metrics = metrics;
  }

  /** Whether the node has {@code max} joins in progress or more: new upgrades are refused. */
  boolean full() {
    return max > 0 && count.get() >= max;
  }

  /** Joins in progress on the node now. */
  public int count() {
    return count.get();
  }

  /** A new connection's share of the count, empty. */
  public OfConnection forConnection() {
    return new OfConnection();
  }

  private void add(int n) {
    count.addAndGet(n);
    metrics.joinsInProgress.addAndGet(n);
  }

  /**
   * One connection's joins in progress. Its session counts a join in when it sends it to the
   * rooms and out when the room's answer (accepted or refused: there is exactly one per join)
   * arrives; when the connection ends, whatever it still has in progress is counted out at
   * once. Not thread-safe: its session actor alone uses it.
   */
  public final class OfConnection {
    private int pending;

    private OfConnection() {}

    /** A join was sent to the rooms. */
    public void started() {
      pending++;
      add(1);
    }

    /** A join was answered; nothing happens when this connection has none in progress. */
    public void ended() {
      if (pending == 0) return;
      pending--;
      add(-1);
    }

    /** The connection has ended: none of its joins holds a client waiting any more. */
    public void connectionEnded() {
      if (pending == 0) return;
      add(-pending);
      pending = 0;
    }

    /** This connection's joins in progress. */
    public int pending() {
      return pending;
    }
  }
}
