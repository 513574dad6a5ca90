package dev.chorus.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The heap after the latest collection: the heap pools of its GcInfo, not the others. */
class HeapAfterGcTest {

  @Test
  void sumsTheHeapPoolsOnly() {
    Map<String, MemoryUsage> pools = Map.of(
        "PS Eden Space", new MemoryUsage(0, 0, 100, 100),
        "PS Old Gen", new MemoryUsage(0, 5000, 8000, 8000),
        "Metaspace", new MemoryUsage(0, 700, 800, -1));
    assertEquals(5000, HeapAfterGc.heapUsed(pools, Set.of("PS Eden Space", "PS Survivor Space", "PS Old Gen")));
  }

  @Test
  void holdsWhatSurvivedTheLatestCollection() {
    byte[][] kept = new byte[32][];
    for (int i = 0; i < kept.length; i++) kept[i] = new byte[1 << 20]; // 32 MiB that survive
    System.gc(); // a collection now, so that its GcInfo is the latest
    long after = new HeapAfterGc().bytes();
    long max = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax();
    assertTrue(after >= 32L << 20, "the 32 MiB kept are in the heap after GC: " + after);
    assertTrue(max <= 0 || after <= max, after + " within the maximum " + max);
    assertEquals(32, kept.length);
  }
}
