package dev.chorus.ops;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One node's activity over one sampling interval (chorus.admin.sample-interval), as GET
 * /admin/stream sends it: rates per second over the interval that ended at {@code t} (epoch ms),
 * the fan-out latency quantiles of that interval alone (null: nothing was fanned out in it), and
 * the gauges as they were at its end. Travels between nodes (the stream asks every node).
 */
public record Sample(
    long t,
    int connections,
    double joinsPerS,
    double publishesPerS,
    double deliveriesPerS,
    Double fanoutP50Ms,
    Double fanoutP99Ms,
    double slowClosesPerS,
    Map<String, Double> refusedPerS,
    double crossNodePerS,
    long heapUsedBytes,
    double cpuCoresUsed) {

  /** The JSON the admin API sends (field names are what the dashboard reads). */
  public Map<String, Object> json() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("t", t);
    m.put("connections", connections);
    m.put("joins_per_s", joinsPerS);
    m.put("publishes_per_s", publishesPerS);
    m.put("deliveries_per_s", deliveriesPerS);
    m.put("fanout_p50_ms", fanoutP50Ms);
    m.put("fanout_p99_ms", fanoutP99Ms);
    m.put("slow_closes_per_s", slowClosesPerS);
    m.put("refused_per_s", new TreeMap<>(refusedPerS));
    m.put("cross_node_per_s", crossNodePerS);
    m.put("heap_used_bytes", heapUsedBytes);
    m.put("cpu_cores_used", cpuCoresUsed);
    return m;
  }
}
