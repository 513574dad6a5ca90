package dev.chorus.metrics;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The heap in use right after the JVM's latest garbage collection, of any collector: what the
 * node holds (connections, rooms, history, presence) plus the old garbage that collection did
 * not reach. Read from each collector's last GcInfo when the gauge is scraped.
 *
 * <p>Not the sum of the pools' collection usage (client_java's
 * {@code jvm_memory_pool_collection_used_bytes}): a pool's collection usage changes only when a
 * collector that manages it runs, and with ParallelGC (the flags docs/operations.md recommends)
 * young collections do not manage the old generation, so its figure stays at 0 until the first
 * full collection and is stale between them. The latest GcInfo has every pool as that collection
 * left it.
 */
final class HeapAfterGc {
  private final Set<String> heapPools = new HashSet<>();

  HeapAfterGc() {
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) heapPools.add(p.getName());
    }
  }

  /** Bytes of heap used after the latest collection; before any, the heap used now (nothing was freed yet). */
  long bytes() {
    com.sun.management.GcInfo latest = null;
    for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof com.sun.management.GarbageCollectorMXBean g) {
        com.sun.management.GcInfo info = g.getLastGcInfo();
        if (info != null && (latest == null || info.getEndTime() > latest.getEndTime())) latest = info;
      }
    }
    if (latest == null) return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    return heapUsed(latest.getMemoryUsageAfterGc(), heapPools);
  }

  /** The used bytes of the heap pools among {@code pools}. */
  static long heapUsed(Map<String, MemoryUsage> pools, Set<String> heapPools) {
    long sum = 0;
    for (var e : pools.entrySet()) {
      if (heapPools.contains(e.getKey())) sum += e.getValue().getUsed();
    }
    return sum;
  }
}
