package dev.chorus.ops;

import static dev.chorus.ops.AdminRoutesTest.KEY;
import static dev.chorus.ops.AdminRoutesTest.call;
import static dev.chorus.ops.AdminRoutesTest.joined;
import static dev.chorus.ops.AdminRoutesTest.json;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The cockpit's cluster routes of the admin API over HTTP, on a real one-node cluster: the nodes'
 * overview, a node's drain by address, and the event stream of samples.
 */
class AdminNodesTest {
  static final String WITH_KEY = "chorus.admin.key = \"" + KEY + "\"\n";
  static final HttpClient HTTP = HttpClient.newHttpClient();

  static HttpResponse<String> post(ChorusNode node, String path, String body, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(node.managementUri().resolve(path)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) b.header("Authorization", "Bearer " + key);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** How many samples the node's status service keeps now. */
  static int samplesKept(ChorusNode node) {
    var ref = Operations.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(node.system())).node().status();
    try {
      return org.apache.pekko.actor.typed.javadsl.AskPattern.<NodeStatus.Command, NodeStatus.Samples>ask(
              ref, NodeStatus.GetSamples::new, Duration.ofSeconds(3), node.system().scheduler())
          .toCompletableFuture().get(5, TimeUnit.SECONDS).samples().size();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static String self(ChorusNode node) {
    return node.system().address().toString();
  }

  @Test
  void nodesShowsEveryMemberWithItsOwnStats() throws Exception {
    try (ChorusNode node = TestNode.start(WITH_KEY)) {
      List<PhxClient> clients = new ArrayList<>();
      try {
        clients.add(joined(node, "room:a"));
        clients.add(joined(node, "room:a"));
        clients.add(joined(node, "room:b"));
        TestNode.await("this node Up", Duration.ofSeconds(10), () -> {
          try {
            return "Up".equals(json(call(node, "GET", "/admin/nodes", KEY)).path("nodes").path(0).path("status").asText());
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
        HttpResponse<String> r = call(node, "GET", "/admin/nodes", KEY);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals(self(node), body.path("self").asText());
        assertEquals(1, body.path("asked").asInt());
        assertEquals(1, body.path("answered").asInt());
        assertEquals(1, body.path("nodes").size());
        JsonNode me = body.path("nodes").path(0);
        assertEquals(self(node), me.path("address").asText());
        assertTrue(me.path("reachable").asBoolean());
        assertTrue(me.path("leader").asBoolean());
        assertTrue(me.path("oldest").asBoolean());
        assertEquals("dc-default", me.path("roles").path(0).asText());
        JsonNode stats = me.path("stats");
        assertEquals("0.1.0-SNAPSHOT", stats.path("version").asText(), "the pom's version, filtered in");
        assertEquals(3, stats.path("connections").asInt());
        assertEquals(0, stats.path("longpoll_sessions").asInt());
        assertEquals(2, stats.path("rooms").asInt());
        assertEquals(2, stats.path("room_entities").asInt());
        assertFalse(stats.path("draining").asBoolean());
        assertTrue(stats.path("uptime_seconds").asDouble() > 0);
        assertTrue(stats.path("heap_used_bytes").asLong() > 0);
        assertTrue(stats.path("heap_max_bytes").asLong() >= stats.path("heap_used_bytes").asLong());
        assertTrue(stats.path("heap_after_gc_bytes").asLong() >= 0);
        assertTrue(stats.path("gc_count").asLong() >= 0);
        assertTrue(stats.path("gc_seconds").asDouble() >= 0);
        assertTrue(stats.path("cpu_cores_used").asDouble() >= 0);
        assertEquals(Runtime.getRuntime().availableProcessors(), stats.path("cpus").asInt());
      } finally {
        for (PhxClient c : clients) c.close();
      }
    }
  }

  @Test
  void theNewRoutesNeedTheKeyAndRefuseBadRequests() throws Exception {
    try (ChorusNode node = TestNode.start(WITH_KEY + "chorus.admin.max-body-bytes = 100")) {
      for (String path : List.of("/admin/nodes", "/admin/stream", "/admin/topics/room:a", "/admin/users/ada")) {
        assertEquals(401, call(node, "GET", path, null).statusCode(), path);
        assertEquals(401, call(node, "GET", path, "wrong").statusCode(), path);
      }
      assertEquals(401, post(node, "/admin/nodes/drain", "{\"node\": \"" + self(node) + "\"}", null).statusCode());
      for (String bad : List.of("", "nope", "{}", "{\"node\": 1}", "{\"node\": \"\"}", "[\"" + self(node) + "\"]")) {
        HttpResponse<String> r = post(node, "/admin/nodes/drain", bad, KEY);
        assertEquals(400, r.statusCode(), bad);
        assertTrue(json(r).path("error").asText().contains("node"), r.body());
      }
      HttpResponse<String> unknown = post(node, "/admin/nodes/drain", "{\"node\": \"pekko://chorus@127.0.0.1:1\"}", KEY);
      assertEquals(404, unknown.statusCode());
      assertEquals("no such node", json(unknown).path("error").asText());
      long before = node.metrics().managementRefusedBy("body_too_large");
      HttpResponse<String> large = post(node, "/admin/nodes/drain", "{\"node\": \"" + "x".repeat(200) + "\"}", KEY);
      assertEquals(413, large.statusCode());
      assertEquals(before + 1, node.metrics().managementRefusedBy("body_too_large"));
      assertEquals(200, call(node, "GET", "/ready", null).statusCode(), "nothing refused drained anything");
    }
  }

  @Test
  void drainingANodeByItsAddressDrainsIt() throws Exception {
    ChorusNode node = TestNode.start(WITH_KEY + "chorus.drain.window = 1 s\nchorus.drain.interval = 100 ms");
    List<PhxClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) clients.add(joined(node, "room:drain"));
      HttpResponse<String> r = post(node, "/admin/nodes/drain", "{\"node\": \"" + self(node) + "\"}", KEY);
      assertEquals(202, r.statusCode(), r.body());
      JsonNode body = json(r);
      assertEquals(self(node), body.path("node").asText());
      assertTrue(body.path("draining").asBoolean());
      assertEquals(4, body.path("connections").asInt());
      assertEquals("1.0s", body.path("window").asText());
      assertEquals("leave the cluster and exit", body.path("then").asText());
      assertNotEquals(200, call(node, "GET", "/ready", null).statusCode(), "not ready once draining");
      for (PhxClient c : clients) {
        PhxClient.Received close = c.awaitClose(Duration.ofSeconds(10));
        assertNotNull(close);
        assertEquals(1012, close.closeCode());
      }
      node.whenTerminated().get(30, TimeUnit.SECONDS);
      assertEquals(4, node.metrics().closedBy("service_restart"));
    } finally {
      for (PhxClient c : clients) c.close();
      node.close();
    }
  }

  @Test
  void theStreamSendsTheHistoryThenSamplesThatFollowTheConnections() throws Exception {
    try (ChorusNode node = TestNode.start(WITH_KEY + "chorus.admin.sample-interval = 200 ms")) {
      String self = self(node);
      TestNode.await("two samples kept before the stream opens", Duration.ofSeconds(10), () -> samplesKept(node) >= 2);
      try (SseClient stream = SseClient.open(HTTP, node.managementUri().resolve("/admin/stream"), KEY)) {
        assertEquals(200, stream.response().statusCode());
        assertTrue(stream.response().headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        SseClient.Event history = stream.next(Duration.ofSeconds(10));
        assertEquals("history", history.type());
        assertEquals(200, history.data().path("interval_ms").asInt());
        JsonNode kept = history.data().path("nodes").path(self);
        assertTrue(kept.isArray() && kept.size() >= 1, history.data().toString());
        for (int i = 1; i < kept.size(); i++) assertTrue(kept.path(i - 1).path("t").asLong() < kept.path(i).path("t").asLong(), "oldest first");
        JsonNode first = kept.path(0);
        for (String field : List.of("t", "connections", "joins_per_s", "publishes_per_s", "deliveries_per_s", "fanout_p50_ms",
            "fanout_p99_ms", "slow_closes_per_s", "refused_per_s", "cross_node_per_s", "heap_used_bytes", "cpu_cores_used")) {
          assertTrue(first.has(field), field + " in " + first);
        }

        stream.await("a sample with no connection", "sample", d -> d.path("nodes").path(self).path("connections").asInt(-1) == 0,
            Duration.ofSeconds(10));
        PhxClient client = joined(node, "room:live");
        SseClient.Event withOne = stream.await("a sample counting the client", "sample",
            d -> d.path("nodes").path(self).path("connections").asInt() == 1, Duration.ofSeconds(10));
        assertTrue(withOne.data().path("t").asLong() > 0);
        client.close();
        stream.await("a sample without it again", "sample", d -> d.path("nodes").path(self).path("connections").asInt(-1) == 0,
            Duration.ofSeconds(10));
      }
    }
  }

  @Test
  void streamsOverTheBoundAreRefusedAndCountedAndAClosedOneFreesItsSlot() throws Exception {
    try (ChorusNode node = TestNode.start(WITH_KEY + "chorus.admin.max-streams = 1\nchorus.admin.sample-interval = 200 ms")) {
      java.net.URI uri = node.managementUri().resolve("/admin/stream");
      SseClient first = SseClient.open(HTTP, uri, KEY);
      assertEquals(200, first.response().statusCode());
      assertEquals("history", first.next(Duration.ofSeconds(10)).type());
      HttpResponse<String> refused = call(node, "GET", "/admin/stream", KEY);
      assertEquals(503, refused.statusCode());
      assertTrue(json(refused).path("error").asText().contains("chorus.admin.max-streams"), refused.body());
      assertEquals(1, node.metrics().managementRefusedBy("streams_full"));
      first.close();
      // The server learns the client went when its next event finds the connection closed.
      TestNode.await("the slot given back", Duration.ofSeconds(10), Duration.ofMillis(100), () -> {
        try (SseClient again = SseClient.open(HTTP, uri, KEY)) {
          return again.response().statusCode() == 200;
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }, () -> "");
    }
  }
}
