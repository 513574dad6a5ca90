package dev.chorus.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * The raw figures of one scenario run in one process: counters (merged across processes by
 * sum), gauges (merged by max: durations, memory) and latency histograms in µs (merged by
 * adding). {@link BenchReport} derives rates, ratios and percentiles from them, so a merged
 * result of N child processes reports exactly like a single-process run.
 */
final class BenchResult {
  /** Latencies are tracked up to one hour with 3 significant digits. */
  static final long MAX_TRACKABLE_MICROS = 3_600_000_000L;

  final Map<String, Long> counters = new LinkedHashMap<>();
  final Map<String, Double> gauges = new LinkedHashMap<>();
  final Map<String, Histogram> histograms = new LinkedHashMap<>();
  /** A few sample messages (first failure reasons and such), for the human. */
  final Map<String, String> notes = new LinkedHashMap<>();

  static Histogram newHistogram() {
    return new Histogram(1, MAX_TRACKABLE_MICROS, 3);
  }

  void count(String key, long value) {
    counters.merge(key, value, Long::sum);
  }

  long counter(String key) {
    return counters.getOrDefault(key, 0L);
  }

  void gauge(String key, double value) {
    gauges.merge(key, value, Math::max);
  }

  double gauge(String key) {
    return gauges.getOrDefault(key, 0.0);
  }

  Histogram histogram(String key) {
    return histograms.computeIfAbsent(key, k -> newHistogram());
  }

  void addHistogram(String key, Histogram h) {
    histogram(key).add(h);
  }

  void merge(BenchResult other) {
    other.counters.forEach(this::count);
    other.gauges.forEach(this::gauge);
    other.histograms.forEach(this::addHistogram);
    other.notes.forEach(notes::putIfAbsent);
  }

  /** The form a child process hands its parent: histograms as base64 of HdrHistogram's compressed encoding. */
  ObjectNode toRawJson() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode c = root.putObject("counters");
    counters.forEach(c::put);
    ObjectNode g = root.putObject("gauges");
    gauges.forEach(g::put);
    ObjectNode h = root.putObject("histograms");
    histograms.forEach((k, v) -> h.put(k, encode(v)));
    ObjectNode n = root.putObject("notes");
    notes.forEach(n::put);
    return root;
  }

  static BenchResult fromRawJson(JsonNode root) {
    BenchResult r = new BenchResult();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.path("counters").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      r.count(e.getKey(), e.getValue().asLong());
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = root.path("gauges").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      r.gauge(e.getKey(), e.getValue().asDouble());
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = root.path("histograms").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      r.addHistogram(e.getKey(), decode(e.getValue().asText()));
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = root.path("notes").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      r.notes.put(e.getKey(), e.getValue().asText());
    }
    return r;
  }

  static String encode(Histogram h) {
    ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
    int length = h.encodeIntoCompressedByteBuffer(buf);
    return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buf.array(), length));
  }

  static Histogram decode(String base64) {
    try {
      return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
    } catch (DataFormatException e) {
      throw new IllegalArgumentException("bad histogram encoding", e);
    }
  }
}
