package dev.chorus.ops;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One node's state as GET /admin/nodes shows it, answered by the node itself ({@link NodeStatus}).
 * Travels between nodes.
 *
 * @param uptimeSeconds since the node started (its status service, started with it)
 * @param cpuCoresUsed over the last sampling interval (0 before the first)
 */
public record NodeStats(
    String version,
    double uptimeSeconds,
    int connections,
    int longpollSessions,
    long rooms,
    long roomEntities,
    boolean draining,
    long heapUsedBytes,
    long heapMaxBytes,
    long heapAfterGcBytes,
    long gcCount,
    double gcSeconds,
    double cpuCoresUsed,
    int cpus) {

  /** The JSON the admin API sends (field names are what the dashboard reads). */
  public Map<String, Object> json() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", version);
    m.put("uptime_seconds", uptimeSeconds);
    m.put("connections", connections);
    m.put("longpoll_sessions", longpollSessions);
    m.put("rooms", rooms);
    m.put("room_entities", roomEntities);
    m.put("draining", draining);
    m.put("heap_used_bytes", heapUsedBytes);
    m.put("heap_max_bytes", heapMaxBytes);
    m.put("heap_after_gc_bytes", heapAfterGcBytes);
    m.put("gc_count", gcCount);
    m.put("gc_seconds", gcSeconds);
    m.put("cpu_cores_used", cpuCoresUsed);
    m.put("cpus", cpus);
    return m;
  }
}
