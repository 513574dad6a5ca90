package dev.chorus.testkit;

import java.lang.management.ManagementFactory;
import java.time.Duration;

/** The test JVM's heap after collections, for tests whose target is memory. */
public final class Heap {
  private Heap() {}

  /** The used heap once a further full collection frees less than 64 KiB. */
  public static long usedAfterGc() throws InterruptedException {
    long[] used = {Long.MAX_VALUE};
    TestNode.await("the heap to settle under full collections", Duration.ofSeconds(10), () -> {
      System.gc();
      long now = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      boolean settled = now > used[0] - (64 << 10);
      used[0] = now;
      return settled;
    });
    return used[0];
  }

  public static String mb(long bytes) {
    return String.format("%.1f MB", bytes / 1e6);
  }
}
