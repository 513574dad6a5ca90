package dev.chorus.ops;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bound on a node's open admin event streams (chorus.admin.max-streams): each holds an
 * HTTP connection and asks every node for its sample every interval, so a forgotten tab costs
 * little but a script opening streams in a loop must not cost without end.
 */
public final class StreamSlots {
  private final int max;
  private final AtomicInteger open = new AtomicInteger();

  public StreamSlots(int max) {
    if (max < 1) throw new IllegalArgumentException("chorus.admin.max-streams must be at least 1");
    this.max = max;
  }

  /** Takes a slot; false (none taken) when {@code max} streams are open. */
  public boolean tryAcquire() {
    while (true) {
      int n = open.get();
      if (n >= max) return false;
      if (open.compareAndSet(n, n + 1)) return true;
    }
  }

  /** Gives back a slot taken by {@link #tryAcquire}; once per slot. */
  public void release() {
    open.decrementAndGet();
  }

  public int open() {
    return open.get();
  }

  public int max() {
    return max;
  }
}
