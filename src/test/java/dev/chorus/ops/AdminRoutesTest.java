package dev.chorus.ops;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

/** The admin API and the health checks on the management port of a one-node cluster. */
class AdminRoutesTest {
  static final String KEY = "test-admin-key";
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();

  static HttpResponse<String> call(ChorusNode node, String method, String path, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(node.managementUri().resolve(path)).timeout(Duration.ofSeconds(10));
    if (key != null) b.header("Authorization", "Bearer " + key);
    b.method(method, HttpRequest.BodyPublishers.noBody());
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    assertEquals("application/json", r.headers().firstValue("content-type").orElse(""), r.body());
    return JSON.readTree(r.body());
  }

  static PhxClient joined(ChorusNode node, String topic) throws Exception {
    PhxClient s = PhxClient.connect(node.httpAddress().getPort());
    s.join(topic);
    return s;
  }

  @Test
  void withoutAKeyConfiguredTheAdminApiIsOff() throws Exception {
    try (ChorusNode node = TestNode.start()) {
      HttpResponse<String> r = call(node, "GET", "/admin/connections", "anything");
      assertEquals(403, r.statusCode());
      assertTrue(json(r).path("error").asText().contains("chorus.admin.key"));
    }
  }

  @Test
  void aMissingOrWrongKeyIsUnauthorized() throws Exception {
    try (ChorusNode node = TestNode.start("chorus.admin.key = \"" + KEY + "\"")) {
      for (String key : new String[] {null, "wrong", KEY + "x", ""}) {
        HttpResponse<String> r = call(node, "GET", "/admin/connections", key);
        assertEquals(401, r.statusCode(), "key " + key);
        assertEquals("Bearer", r.headers().firstValue("www-authenticate").orElse(""));
        assertTrue(json(r).has("error"));
      }
      assertEquals(401, call(node, "POST", "/admin/drain", "wrong").statusCode());
      assertEquals(200, call(node, "GET", "/ready", null).statusCode(), "a refused drain drains nothing");
    }
  }

  @Test
  void connectionsRoomsAndHealth() throws Exception {
    try (ChorusNode node = TestNode.start("chorus.admin.key = \"" + KEY + "\"")) {
      assertEquals(200, call(node, "GET", "/alive", null).statusCode());
      assertEquals(200, call(node, "GET", "/ready", null).statusCode());
      HttpResponse<String> members = call(node, "GET", "/cluster/members", null);
      assertEquals(200, members.statusCode());
      assertEquals("Up", JSON.readTree(members.body()).path("members").path(0).path("status").asText());

      List<PhxClient> sockets = new ArrayList<>();
      try {
        sockets.add(joined(node, "room:big"));
        sockets.add(joined(node, "room:big"));
        sockets.add(joined(node, "room:small"));
        JsonNode c = json(call(node, "GET", "/admin/connections", KEY));
        assertEquals(3, c.path("connections").asInt());
        assertFalse(c.path("draining").asBoolean());
        assertTrue(c.path("node").asText().startsWith("pekko://chorus@"));

        JsonNode rooms = json(call(node, "GET", "/admin/rooms?limit=1", KEY));
        assertEquals(2, rooms.path("rooms").asInt());
        assertEquals(3, rooms.path("members").asInt());
        assertEquals(1, rooms.path("largest").size());
        assertEquals("room:big", rooms.path("largest").path(0).path("topic").asText());
        assertEquals(2, rooms.path("largest").path(0).path("members").asInt());

        JsonNode largest = json(call(node, "GET", "/admin/rooms/largest", KEY));
        assertEquals(1, largest.path("nodes").asInt());
        assertEquals(1, largest.path("answered").asInt());
        assertEquals("room:big", largest.path("largest").path(0).path("topic").asText());
        assertEquals("room:small", largest.path("largest").path(1).path("topic").asText());

        for (String bad : new String[] {"0", "x", "100000"}) {
          HttpResponse<String> r = call(node, "GET", "/admin/rooms?limit=" + bad, KEY);
          assertEquals(400, r.statusCode(), bad);
          assertTrue(json(r).path("error").asText().contains("limit"));
        }
      } finally {
        for (PhxClient s : sockets) s.close();
      }
    }
  }

  @Test
  void drainClosesEveryConnectionWith1012AndStopsTheNode() throws Exception {
    ChorusNode node = TestNode.start("chorus.admin.key = \"" + KEY + "\"\nchorus.drain.window = 1 s\nchorus.drain.interval = 100 ms");
    List<PhxClient> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 10; i++) sockets.add(joined(node, "room:drain"));
      HttpResponse<String> r = call(node, "POST", "/admin/drain", KEY);
      assertEquals(202, r.statusCode(), r.body());
      JsonNode body = json(r);
      assertTrue(body.path("draining").asBoolean());
      assertEquals(10, body.path("connections").asInt());
      assertNotEquals(200, call(node, "GET", "/ready", null).statusCode(), "not ready once draining");
      for (PhxClient s : sockets) {
        PhxClient.Received close = s.awaitClose(Duration.ofSeconds(10));
        assertNotNull(close);
        assertEquals(1012, close.closeCode());
      }
      node.whenTerminated().get(30, TimeUnit.SECONDS);
      assertEquals(10, node.metrics().closedBy("service_restart"));
    } finally {
      for (PhxClient s : sockets) s.close();
      node.close();
    }
  }
}
