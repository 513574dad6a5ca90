package dev.chorus.ops;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.OperatingSystemMXBean;
import java.util.List;

/**
 * The JVM's heap, garbage collection and CPU, read from its management beans for the admin
 * API (the heap after GC is the metrics' own, chorus_heap_after_gc_bytes: see metrics/HeapAfterGc). CPU is the process's CPU time ({@code getProcessCpuTime}), which the caller turns into
 * cores used over an interval: {@code getProcessCpuLoad} answers over the time since whoever
 * last called it (the bean is shared by the whole JVM), and in a container its fraction of the
 * host's CPUs is not a fraction of the cores the container may use.
 */
public final class JvmReadings {
  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
  private final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();

  public long heapUsedBytes() {
    return memory.getHeapMemoryUsage().getUsed();
  }

  /** The heap's maximum, or -1 when it has none. */
  public long heapMaxBytes() {
    return memory.getHeapMemoryUsage().getMax();
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
