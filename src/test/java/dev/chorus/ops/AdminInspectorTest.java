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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The admin API's topic inspector and user lookup over HTTP, with real clients on a real node. */
class AdminInspectorTest {
  static final String WITH_KEY = "chorus.admin.key = \"" + KEY + "\"\n";

  @Test
  void theTopicInspectorShowsTheEntityAndTheMembersPerNode() throws Exception {
    try (ChorusNode node = TestNode.start(WITH_KEY);
        PhxClient ann = joined(node, "room:lobby");
        PhxClient bob = joined(node, "room:lobby")) {
      String self = node.system().address().toString();
      ann.pushOk("room:lobby", "msg", "{\"body\":\"one\"}");
      ann.pushOk("room:lobby", "msg", "{\"body\":\"two\"}");
      HttpResponse<String> r = call(node, "GET", "/admin/topics/room:lobby", KEY);
      assertEquals(200, r.statusCode(), r.body());
      JsonNode body = json(r);
      assertEquals("room:lobby", body.path("topic").asText());
      JsonNode entity = body.path("entity");
      assertEquals(self, entity.path("node").asText());
      assertFalse(entity.path("epoch").asText().isEmpty());
      assertEquals(2, entity.path("seq").asLong());
      assertEquals(2, entity.path("members").asInt());
      assertEquals(2, entity.path("history_messages").asInt());
      assertTrue(entity.path("history_bytes").asLong() > 0);
      assertEquals(1, body.path("nodes").size());
      assertEquals(self, body.path("nodes").path(0).path("node").asText());
      assertEquals(2, body.path("nodes").path(0).path("members").asInt());
      assertEquals(1, body.path("asked").asInt());
      assertEquals(1, body.path("answered").asInt());

      // A topic nobody is in: its entity (started by the question) has nothing, no node holds members.
      JsonNode empty = json(call(node, "GET", "/admin/topics/room:nobody", KEY));
      assertEquals(0, empty.path("entity").path("members").asInt());
      assertEquals(0, empty.path("entity").path("seq").asLong());
      assertEquals(0, empty.path("entity").path("history_messages").asInt());
      assertEquals(0, empty.path("nodes").size());

      HttpResponse<String> invalid = call(node, "GET", "/admin/topics/nocolon", KEY);
      assertEquals(400, invalid.statusCode());
      assertEquals("invalid topic", json(invalid).path("error").asText());
      HttpResponse<String> unknown = call(node, "GET", "/admin/topics/nope:x", KEY);
      assertEquals(404, unknown.statusCode());
      assertEquals("unknown namespace", json(unknown).path("error").asText());
    }
  }

  @Test
  void theUserLookupShowsEachConnectionOfTheUser() throws Exception {
    try (ChorusNode node = TestNode.start(WITH_KEY);
        PhxClient ada = PhxClient.connect(node.httpAddress().getPort(), PhxClient.VSN + "&user=ada");
        PhxClient other = PhxClient.connect(node.httpAddress().getPort(), PhxClient.VSN + "&user=bob")) {
      String self = node.system().address().toString();
      ada.join("room:a");
      ada.join("room:b");
      other.join("room:a");
      // ada on LongPoll too: its first GET opens a session (410 with its token)
      HttpResponse<String> poll = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
              "http://127.0.0.1:" + node.httpAddress().getPort() + "/socket/longpoll?" + PhxClient.VSN + "&user=ada"))
          .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(410, AdminRoutesTest.JSON.readTree(poll.body()).path("status").asInt(), poll.body());

      HttpResponse<String> r = call(node, "GET", "/admin/users/ada", KEY);
      assertEquals(200, r.statusCode(), r.body());
      JsonNode body = json(r);
      assertEquals("ada", body.path("user").asText());
      assertEquals(2, body.path("connections").asInt(), r.body());
      assertEquals(1, body.path("asked").asInt());
      assertEquals(1, body.path("answered").asInt());
      assertEquals(1, body.path("nodes").size());
      assertEquals(self, body.path("nodes").path(0).path("node").asText());
      JsonNode conns = body.path("nodes").path(0).path("connections");
      JsonNode ws = conns.path(0), lp = conns.path(1); // oldest first
      assertEquals("websocket", ws.path("transport").asText(), conns.toString());
      assertTrue(ws.path("conn_id").asText().matches("[0-9a-f]{16}"), ws.toString());
      assertEquals("room:a", ws.path("topics").path(0).asText());
      assertEquals("room:b", ws.path("topics").path(1).asText());
      assertTrue(ws.path("connected_seconds").asDouble() >= lp.path("connected_seconds").asDouble());
      assertEquals("longpoll", lp.path("transport").asText());
      assertEquals(0, lp.path("topics").size());
      assertNotEquals(ws.path("conn_id").asText(), lp.path("conn_id").asText());

      JsonNode nobody = json(call(node, "GET", "/admin/users/nobody", KEY));
      assertEquals(0, nobody.path("connections").asInt());
      assertEquals(0, nobody.path("nodes").size());
      assertEquals(1, nobody.path("answered").asInt());
    }
  }
}
