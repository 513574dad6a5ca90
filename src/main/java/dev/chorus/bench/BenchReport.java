package dev.chorus.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Turns a (merged) {@link BenchResult} into the report: a JSON tree (for --json) and the human
 * table printed on stdout, both with the same figures.
 */
final class BenchReport {
  private BenchReport() {}

  static ObjectNode build(BenchOptions o, BenchResult r, int processes) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("scenario", o.scenario);
    ObjectNode params = root.putObject("parameters");
    o.reportedParameters().forEach(params::put);
    root.put("processes", processes);
    root.put("transport", r.notes.getOrDefault("transport", "?"));
    root.set("connections", connections(r));
    if (o.scenario.equals("connect")) connect(root, r);
    else if (o.scenario.equals("chaos")) chaos(root, r);
    else fanout(root, r);
    ObjectNode notes = root.putObject("notes");
    r.notes.forEach((k, v) -> {
      if (!k.equals("transport")) notes.put(k, v);
    });
    return root;
  }

  private static ObjectNode connections(BenchResult r) {
    ObjectNode c = JsonNodeFactory.instance.objectNode();
    long attempted = r.counter("connect.attempted");
    c.put("attempted", attempted);
    c.put("joined", r.counter("connect.joined"));
    c.put("failed", r.counter("connect.failed"));
    c.put("pending_at_timeout", r.counter("connect.pending"));
    ObjectNode reasons = c.putObject("failure_reasons");
    r.counters.forEach((k, v) -> {
      if (k.startsWith("connect.failed_reason.")) reasons.put(k.substring("connect.failed_reason.".length()), v);
    });
    double ramp = r.gauge("connect.ramp_seconds");
    c.put("ramp_seconds", round(ramp));
    c.put("achieved_rate_per_s", round(ramp > 0 ? attempted / ramp : 0));
    double lastJoin = r.gauge("connect.last_join_seconds");
    c.put("all_joined_after_seconds", round(lastJoin));
    c.put("joined_rate_per_s", round(lastJoin > 0 ? r.counter("connect.joined") / lastJoin : 0));
    c.set("connect_join_latency_us", latency(r.histograms.get("connect.latency")));
    return c;
  }

  private static void connect(ObjectNode root, BenchResult r) {
    ObjectNode hold = root.putObject("hold");
    hold.put("seconds", round(r.gauge("hold_seconds")));
    hold.put("open_at_end", r.counter("open_at_end_of_hold"));
    hold.put("closed_by_server", r.counter("closed_by_server_during_hold"));
    ObjectNode mem = root.putObject("server_memory");
    if (r.gauges.containsKey("server_rss_before_kib") && r.gauges.containsKey("server_rss_after_kib")) {
      long before = (long) r.gauge("server_rss_before_kib");
      long after = (long) r.gauge("server_rss_after_kib");
      mem.put("rss_before_kib", before);
      mem.put("rss_after_kib", after);
      long open = Math.max(1, r.counter("open_at_end_of_hold"));
      mem.put("bytes_per_connection", (after - before) * 1024 / open);
    }
    if (r.gauges.containsKey("server_cpu_seconds")) {
      // The server's CPU over the wave (connect, join, hold, close) per connection planned.
      ObjectNode cpu = root.putObject("server_cpu");
      double seconds = r.gauge("server_cpu_seconds");
      cpu.put("seconds", round(seconds));
      cpu.put("us_per_connection", round(seconds * 1e6 / Math.max(1, r.counter("connections_planned"))));
    }
  }

  /**
   * The chaos figures: what every client received held against what the protocol promises
   * (ChaosChecker), the pushes and their answers, and what the reconnects cost the clients.
   */
  private static void chaos(ObjectNode root, BenchResult r) {
    ObjectNode c = root.putObject("chaos");
    ObjectNode clients = c.putObject("clients");
    clients.put("total", r.counter("chaos.clients_total"));
    clients.put("subscribers", r.counter("chaos.subscribers"));
    clients.put("publishers", r.counter("chaos.publishers"));
    clients.put("rooms", r.counter("chaos.rooms"));
    clients.put("rooms_per_client", r.counter("chaos.rooms_per_client"));
    clients.put("nodes", r.counter("chaos.nodes"));
    clients.put("in_service_at_end", r.counter("chaos.in_service_at_end"));
    // Owed positions a client never received (after its first join, up to the last anyone saw
    // in that epoch), plus acked pushes nobody received; told gaps are apart (told_gap).
    c.put("lost", r.counter("chaos.lost"));
    c.put("lost_by_clients", r.counter("chaos.lost_by_clients"));
    // Apart, not lost: unacked messages only clients of a node that died had received (ChaosChecker).
    c.put("lost_with_node", r.counter("chaos.lost_with_node"));
    c.put("acked_unseen", r.counter("chaos.acked_unseen"));
    c.put("duplicated", r.counter("chaos.duplicated"));
    c.put("duplicated_by_clients", r.counter("chaos.duplicated_by_clients"));
    c.put("duplicated_publishes", r.counter("chaos.duplicated_publishes"));
    c.put("out_of_order", r.counter("chaos.out_of_order"));
    c.put("diverged", r.counter("chaos.diverged"));
    // Rejoins with since answered recovered: true, and the messages their replies promised to replay.
    c.put("recovered_true", r.counter("chaos.recovered_true"));
    c.put("replayed", r.counter("chaos.replayed"));
    c.put("recovered_false", r.counter("chaos.recovered_false"));
    c.set("recovered_false_reasons", byPrefix(r, "chaos.recovered_false_reason."));
    c.put("told_gap", r.counter("chaos.told_gap"));
    c.put("epoch_changes", r.counter("chaos.epoch_changes"));
    c.put("epoch_switches_unannounced", r.counter("chaos.epoch_switches_unannounced"));
    c.put("implausible_positions", r.counter("chaos.implausible"));
    c.put("positions", r.counter("chaos.positions"));
    c.put("deliveries", r.counter("chaos.deliveries"));

    ObjectNode pushes = c.putObject("pushes");
    for (String k : new String[] {"sent", "acked", "refused", "unanswered", "skipped_not_joined", "skipped_late", "late_replies"}) {
      pushes.put(k, r.counter("chaos.pushes." + k));
    }
    pushes.set("refused_reasons", byPrefix(r, "chaos.push_refused_reason."));

    ObjectNode reconnects = c.putObject("reconnects");
    reconnects.put("total", r.counter("chaos.reconnects"));
    reconnects.put("attempts", r.counter("chaos.reconnect_attempts"));
    reconnects.put("peak_per_second", (long) r.gauge("chaos.reconnects_peak_per_second"));
    reconnects.set("connect_failed", byPrefix(r, "chaos.connect_failed."));
    reconnects.set("connection_ended", byPrefix(r, "chaos.connection_ended."));
    ObjectNode joins = c.putObject("joins");
    joins.set("errors", byPrefix(r, "chaos.join_error."));
    joins.put("timeouts", r.counter("chaos.join_timeouts"));
    joins.put("channel_errors", r.counter("chaos.channel_errors"));
    joins.put("ignored_while_joining", r.counter("chaos.ignored_while_joining"));
    c.put("heartbeat_timeouts", r.counter("chaos.heartbeat_timeouts"));
    c.put("frames_unrecognised", r.counter("chaos.frames_unrecognised"));
    // Per outage of a client: from losing service until every topic of it was joined again.
    c.set("time_without_service_s", seconds(r.histograms.get("chaos.without_service")));
    c.put("outages_unfinished", r.counter("chaos.outages_unfinished"));

    ObjectNode settle = c.putObject("settle");
    settle.put("publishing_seconds", round(r.gauge("chaos.publishing_seconds")));
    settle.put("settle_seconds", round(r.gauge("chaos.settle_seconds")));
    settle.put("caught_up", r.counter("chaos.caught_up") == 1);
  }

  private static ObjectNode byPrefix(BenchResult r, String prefix) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    r.counters.forEach((k, v) -> {
      if (k.startsWith(prefix)) n.put(k.substring(prefix.length()), v);
    });
    return n;
  }

  private static void fanout(ObjectNode root, BenchResult r) {
    ObjectNode setup = root.putObject("setup");
    setup.put("subscribers", (long) r.gauge("subscribers_total"));
    setup.put("rooms", (long) r.gauge("rooms"));
    double avgRoom = r.gauge("rooms") > 0 ? r.gauge("subscribers_total") / r.gauge("rooms") : 0;
    setup.put("average_room_size", round(avgRoom));
    setup.put("slow_subscribers", (long) r.gauge("slow_total"));
    setup.put("publishers", (long) r.gauge("publishers_total"));
    setup.put("rate_per_publisher", round(r.gauge("rate_per_publisher")));

    ObjectNode phases = root.putObject("phases");
    phases.set("warmup", phase(r, "warmup.", r.gauge("warmup_seconds")));
    ObjectNode measured = phase(r, "measured.", r.gauge("measured_seconds"));
    phases.set("measured", measured);

    ObjectNode slow = root.putObject("slow_clients");
    slow.put("clients", (long) r.gauge("slow_total"));
    slow.put("closed_by_server", r.counter("slow_closed_by_server"));
    slow.put("close_code_4000", r.counter("slow_close_4000"));
    slow.put("reset", r.counter("slow_reset"));
    slow.put("closed_while_not_reading", r.counter("slow_closed_while_not_reading"));
    // Each slow client the server cut off (reset) while it was not reading: how long after it
    // stopped. A close frame, or a FIN, waits behind what it has not read, so only a reset
    // ends its connection then; Chorus resets a slow consumer slow-close-timeout (1 s) after closing it.
    slow.set("ended_after_stop_s", seconds(r.histograms.get("slow_ended_after_stop")));
    slow.put("received_measured", r.counter("measured.received_slow"));
    if (r.counters.containsKey("warmup_slow_planned")) {
      // --warmup-slow-fraction: extra slow clients of the warm-up, ended before the measured phase
      slow.put("warmup_clients", r.counter("warmup_slow_planned"));
      slow.put("warmup_ended_before_measured", r.counter("warmup_slow_ended_before_measured"));
    }

    root.put("healthy_closed_by_server", r.counter("healthy_closed_by_server"));
    root.put("publish_skipped", r.counter("publish_skipped"));
    // The rest of the skipped ones: the publisher's event loop fell > 10 publishes behind.
    root.put("publish_skipped_unwritable", r.counter("publish_skipped_unwritable"));
    root.put("publish_error_replies", r.counter("publish_error_replies"));
    root.put("frames_unrecognised", r.counter("frames_unrecognised"));
    root.put("drain_seconds", round(r.gauge("drain_seconds")));
    if (r.gauges.containsKey("server_cpu_seconds")) {
      // The server's CPU over the measured phase, per delivery it made (healthy and slow).
      ObjectNode server = root.putObject("server_measured");
      double cpu = r.gauge("server_cpu_seconds");
      long delivered = r.counter("measured.received_healthy") + r.counter("measured.received_slow");
      server.put("cpu_seconds", round(cpu));
      server.put("cpu_per_second", round(cpu / Math.max(1e-9, r.gauge("measured_seconds"))));
      server.put("cpu_us_per_delivery", round(cpu * 1e6 / Math.max(1, delivered)));
      if (r.gauges.containsKey("server_rss_measured_start_kib")) {
        double start = r.gauge("server_rss_measured_start_kib");
        server.put("rss_start_mib", round(start / 1024));
        server.put("rss_end_mib", round(r.gauge("server_rss_measured_end_kib") / 1024));
        server.put("rss_peak_mib", round(r.gauge("server_rss_measured_peak_kib") / 1024));
        // Over the measured phase, which starts as the slow clients stop reading.
        server.put("rss_growth_mib", round((r.gauge("server_rss_measured_end_kib") - start) / 1024));
        server.put("rss_peak_growth_mib", round((r.gauge("server_rss_measured_peak_kib") - start) / 1024));
        if (r.gauges.containsKey("server_rss_warmup_start_kib")) {
          server.put("rss_warmup_start_mib", round(r.gauge("server_rss_warmup_start_kib") / 1024));
        }
      }
    }

    double pubRate = measured.path("publishes_per_s").asDouble();
    ObjectNode cap = root.putObject("capacity_model");
    cap.put("publishes_per_s", round(pubRate));
    cap.put("average_room_size", round(avgRoom));
    cap.put("amplified_writes_per_s", round(pubRate * avgRoom));
    // Publishers are room members too: the server also writes each publish back to them.
    double echoes = pubRate * Math.max(1.0, r.gauge("publishers_total") / Math.max(1.0, r.gauge("rooms")));
    cap.put("publisher_echo_writes_per_s", round(echoes));
    cap.put("line", String.format("amplified writes/s = publishes/s × average room size = %.1f × %.1f = %.0f",
        pubRate, avgRoom, pubRate * avgRoom));
  }

  private static ObjectNode phase(BenchResult r, String p, double seconds) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    long publishes = r.counter(p + "publishes");
    n.put("seconds", round(seconds));
    n.put("publishes", publishes);
    n.put("publishes_per_s", round(seconds > 0 ? publishes / seconds : 0));
    ObjectNode h = n.putObject("healthy");
    long expected = r.counter(p + "expected_healthy");
    long received = r.counter(p + "received_healthy");
    h.put("expected_deliveries", expected);
    h.put("received_deliveries", received);
    h.put("delivery_ratio", expected == 0 ? 0.0 : (double) received / expected);
    h.put("deliveries_per_s", round(seconds > 0 ? received / seconds : 0));
    h.set("latency_us", latency(r.histograms.get(p + "latency_healthy")));
    ObjectNode s = n.putObject("slow");
    s.put("expected_deliveries", r.counter(p + "expected_slow"));
    s.put("received_deliveries", r.counter(p + "received_slow"));
    s.set("latency_us", latency(r.histograms.get(p + "latency_slow")));
    return n;
  }

  /** A histogram of µs as seconds: count, p50, p99, max. */
  static ObjectNode seconds(Histogram h) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    if (h == null) h = BenchResult.newHistogram();
    n.put("count", h.getTotalCount());
    n.put("p50", round2(h.getValueAtPercentile(50) / 1e6));
    n.put("p99", round2(h.getValueAtPercentile(99) / 1e6));
    n.put("max", round2(h.getMaxValue() / 1e6));
    return n;
  }

  private static double round2(double d) {
    return Math.round(d * 100.0) / 100.0;
  }

  static ObjectNode latency(Histogram h) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    if (h == null) h = BenchResult.newHistogram();
    n.put("count", h.getTotalCount());
    n.put("p50", h.getValueAtPercentile(50));
    n.put("p90", h.getValueAtPercentile(90));
    n.put("p99", h.getValueAtPercentile(99));
    n.put("p999", h.getValueAtPercentile(99.9));
    n.put("max", h.getMaxValue());
    n.put("mean", round(h.getTotalCount() == 0 ? 0 : h.getMean()));
    return n;
  }

  private static double round(double d) {
    return Math.round(d * 10.0) / 10.0;
  }

  /** The human table: every figure of the JSON, one "path  value" line each, grouped. */
  static String table(ObjectNode report) {
    StringBuilder out = new StringBuilder();
    out.append("== chorus bench: ").append(report.path("scenario").asText())
        .append(" (").append(report.path("transport").asText()).append(", ")
        .append(report.path("processes").asInt()).append(" process(es)) ==\n");
    for (Iterator<Map.Entry<String, JsonNode>> it = report.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("scenario") || e.getKey().equals("transport") || e.getKey().equals("processes")) continue;
      if (e.getKey().equals("capacity_model")) continue;
      append(out, e.getKey(), e.getValue(), 0);
    }
    JsonNode cap = report.get("capacity_model");
    if (cap != null) out.append("\ncapacity model: ").append(cap.path("line").asText()).append('\n');
    return out.toString();
  }

  private static void append(StringBuilder out, String key, JsonNode v, int depth) {
    String indent = "  ".repeat(depth);
    if (v.isObject()) {
      if (v.isEmpty()) return;
      if (isLatency(v)) {
        out.append(String.format("%s%-28s p50 %d  p90 %d  p99 %d  p99.9 %d  max %d  (n=%d) µs%n", indent, key,
            v.path("p50").asLong(), v.path("p90").asLong(), v.path("p99").asLong(), v.path("p999").asLong(),
            v.path("max").asLong(), v.path("count").asLong()));
        return;
      }
      out.append(indent).append(key).append(":\n");
      for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        append(out, e.getKey(), e.getValue(), depth + 1);
      }
    } else {
      String text = v.isDouble() ? String.format("%.4f", v.asDouble()).replaceAll("0+$", "").replaceAll("\\.$", "") : v.asText();
      out.append(String.format("%s%-28s %s%n", indent, key, text));
    }
  }

  private static boolean isLatency(JsonNode v) {
    return v.has("p50") && v.has("p999") && v.has("max");
  }
}
