package dev.chorus.ops;

import static org.junit.jupiter.api.Assertions.*;

import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** After a scripted session, /metrics on the management port shows exactly what happened. */
class MetricsEndpointTest {

  static Map<String, Double> scrape(ChorusNode node) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(node.managementUri().resolve("/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
    Map<String, Double> samples = new HashMap<>();
    for (String line : r.body().split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int space = line.lastIndexOf(' ');
      samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return samples;
  }

  @Test
  void countersMatchAScriptedSession() throws Exception {
    try (ChorusNode node = TestNode.start()) {
      int port = node.httpAddress().getPort();
      try (PhxClient a = PhxClient.connect(port); PhxClient b = PhxClient.connect(port)) {
        a.join("room:m", "1", "{}");
        b.join("room:m", "1", "{}");
        b.sendText("[\"2\",\"2\",\"nosuch:m\",\"phx_join\",{}]"); // refused
        b.next();
        for (int i = 0; i < 3; i++) {
          a.sendText("[\"1\",\"" + (10 + i) + "\",\"room:m\",\"msg\",{\"i\":" + i + "}]");
          a.next();
          a.next();
          b.next();
        }
        b.sendText("[\"1\",\"3\",\"room:m\",\"phx_leave\",{}]");
        b.next();
        b.next();
        b.sendText("[\"1\",\"4\",\"room:m\",42,{}]"); // bad frame with a ref: an error reply
        b.next();

        Map<String, Double> m = scrape(node);
        assertEquals(2, m.get("chorus_connections_opened_total"));
        assertEquals(2, m.get("chorus_connections"));
        assertEquals(2, m.get("chorus_joins_total"));
        assertEquals(1, m.get("chorus_joins_refused_total"));
        assertEquals(3, m.get("chorus_publishes_total"));
        assertEquals(6, m.get("chorus_deliveries_total"), "3 publishes x 2 members");
        assertEquals(0, m.get("chorus_deliveries_dropped_total"));
        assertEquals(0, m.get("chorus_cross_node_deliveries_total"), "one node: nothing crosses");
        assertEquals(1, m.get("chorus_leaves_total"));
        assertEquals(1, m.get("chorus_bad_frames_total"));
        for (String why : java.util.List.of("queue_full", "stalled", "budget")) {
          assertEquals(0, m.get("chorus_slow_consumer_closes_total{reason=\"" + why + "\"}"), why);
        }
        assertTrue(m.containsKey("chorus_outbound_backlog_bytes"));
        assertEquals(3, m.get("chorus_fanout_latency_seconds_count"));
        assertTrue(m.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_used_bytes")), "JVM metrics");
        assertTrue(m.keySet().stream().anyMatch(k -> k.startsWith("jvm_gc_collection_seconds")), "GC metrics");
      }
      TestNode.await("both connections counted closed", Duration.ofSeconds(10),
          () -> node.metrics().connectionsClosed.sum() == 2);
      Map<String, Double> after = scrape(node);
      assertEquals(2, after.get("chorus_connections_closed_total{reason=\"peer\"}"));
      assertEquals(0, after.get("chorus_connections"));
      TestNode.await("the room gone once its members left", Duration.ofSeconds(10),
          () -> {
            try {
              return scrape(node).get("chorus_rooms{size=\"10\"}") == 0;
            } catch (Exception e) {
              throw new RuntimeException(e);
            }
          });
    }
  }

  @Test
  void roomSizesAreBucketed() throws Exception {
    try (ChorusNode node = TestNode.start(); PhxClient a = PhxClient.connect(node.httpAddress().getPort())) {
      a.join("room:one");
      Map<String, Double> m = scrape(node);
      assertEquals(1, m.get("chorus_rooms{size=\"1\"}"));
      assertEquals(0, m.get("chorus_rooms{size=\"10\"}"));
    }
  }
}
