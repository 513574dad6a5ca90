package dev.chorus.ops;

import java.util.concurrent.atomic.AtomicBoolean;
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

  /** One stream's slot, given back once however many of its ends call {@link #release}. */
  public final class Slot {
    private final AtomicBoolean released = new AtomicBoolean();

    private Slot() {}

    public void release() {
      if (released.compareAndSet(false, true)) open.decrementAndGet();
    }
  }

  /** Takes a slot, or null (none taken) when {@code max} streams are open. */
  public Slot tryAcquire() {
    while (true) {
      int n = open.get();
      if (n >= max) return null;
      if (open.compareAndSet(n, n + 1)) return new Slot();
    }
  }

  public int open() {
    return open.get();
  }

  public int max() {
    return max;
  }
}
