package dev.chorus.ops;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.util.List;

/**
 * The JVM's heap, garbage collection and CPU, read from its management beans for the admin
 * API. CPU is the process's CPU time ({@code getProcessCpuTime}), which the caller turns into
 * cores used over an interval: {@code getProcessCpuLoad} answers over the time since whoever
 * last called it (the bean is shared by the whole JVM), and in a container its fraction of the
 * host's CPUs is not a fraction of the cores the container may use.
 */
public final class JvmReadings {
  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private final List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
      .filter(p -> p.getType() == MemoryType.HEAP)
      .toList();
  private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
  private final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();

  public long heapUsedBytes() {
    return memory.getHeapMemoryUsage().getUsed();
  }

  /** The heap's maximum, or -1 when it has none. */
  public long heapMaxBytes() {
    return memory.getHeapMemoryUsage().getMax();
  }

  /**
   * The heap live after the last collection of each pool (what the heap cannot shed; what
   * grows with the connections and rooms), summed over the heap's pools.
   */
  public long heapAfterGcBytes() {
    long bytes = 0;
    for (MemoryPoolMXBean pool : heapPools) {
      MemoryUsage after = pool.getCollectionUsage();
      if (after != null) bytes += after.getUsed();
    }
    return bytes;
  }

  /** Collections so far, all collectors. */
  public long gcCount() {
    long n = 0;
    for (GarbageCollectorMXBean gc : collectors) n += Math.max(0, gc.getCollectionCount());
    return n;
  }

  /** Time spent collecting so far, all collectors (for a concurrent collector, its pauses' and cycles' time as it reports it). */
  public double gcSeconds() {
    long ms = 0;
    for (GarbageCollectorMXBean gc : collectors) ms += Math.max(0, gc.getCollectionTime());
    return ms / 1000.0;
  }

  /** CPU time the process has used, in nanoseconds (0 where the JVM cannot tell). */
  public long processCpuNanos() {
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) return Math.max(0, sun.getProcessCpuTime());
    return 0;
  }

  /** The cores the JVM may use. */
  public int cpus() {
    return Runtime.getRuntime().availableProcessors();
  }
}
