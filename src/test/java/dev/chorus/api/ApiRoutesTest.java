package dev.chorus.api;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The API for backends: publish (one topic, many), history, and its errors. */
class ApiRoutesTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String KEY = "backend-key";
  static ChorusNode node;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start("""
        chorus.api.key = "backend-key"
        chorus.namespaces.announcements { client-publish = off, max-message-bytes = 100 }
        """);
    port = node.httpAddress().getPort();
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  static HttpResponse<String> call(String method, String path, String body, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(node.managementUri().resolve(path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json");
    if (key != null) b.header("Authorization", "Bearer " + key);
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static PhxClient subscriber(String topic) throws Exception {
    PhxClient s = PhxClient.connect(port);
    s.join(topic);
    return s;
  }

  @Test
  void aBackendPublishesIntoATopicClientsMayNotPublishTo() throws Exception {
    try (PhxClient s = subscriber("announcements:news")) {
      HttpResponse<String> r = call("POST", "/api/publish",
          "{\"topic\":\"announcements:news\",\"event\":\"notice\",\"payload\":{\"text\":\"hi\"}}", KEY);
      assertEquals(200, r.statusCode(), r.body());
      JsonNode answer = JSON.readTree(r.body());
      assertEquals(1, answer.path("seq").asLong());
      JsonNode broadcast = s.next();
      assertEquals(answer.path("epoch").asText() + ":1", broadcast.path(1).asText());
      assertEquals("notice", broadcast.path(3).asText());
      assertEquals("hi", broadcast.path(4).path("text").asText());

      JsonNode history = JSON.readTree(call("GET", "/api/history/announcements:news?since=0", null, KEY).body());
      assertEquals(1, history.path("messages").size());
      assertEquals(1, history.path("messages").path(0).path("seq").asLong());
      assertEquals("hi", history.path("messages").path(0).path("payload").path("text").asText());
      assertEquals(0, JSON.readTree(call("GET", "/api/history/announcements:news?since=1", null, KEY).body()).path("messages").size());
    }
  }

  @Test
  void onePublishToManyTopics() throws Exception {
    try (PhxClient a = subscriber("room:api-a"); PhxClient b = subscriber("room:api-b")) {
      HttpResponse<String> r = call("POST", "/api/publish",
          "{\"topics\":[\"room:api-a\",\"room:api-b\",\"nosuch:x\"],\"event\":\"msg\",\"payload\":{\"n\":1}}", KEY);
      assertEquals(200, r.statusCode(), r.body());
      JsonNode results = JSON.readTree(r.body()).path("results");
      assertEquals(1, results.path(0).path("seq").asLong());
      assertEquals(1, results.path(1).path("seq").asLong());
      assertEquals("unknown namespace", results.path(2).path("error").asText());
      assertTrue(a.receiveText().contains("\"room:api-a\",\"msg\",{\"n\":1}"));
      assertTrue(b.receiveText().contains("\"room:api-b\",\"msg\",{\"n\":1}"));
    }
  }

  @Test
  void aBackendDisconnectsAUserEverywhere() throws Exception {
    try (PhxClient ada1 = PhxClient.connect(port, PhxClient.VSN + "&user=ada");
        PhxClient ada2 = PhxClient.connect(port, PhxClient.VSN + "&user=ada");
        PhxClient bob = PhxClient.connect(port, PhxClient.VSN + "&user=bob")) {
      HttpResponse<String> r = call("POST", "/api/disconnect", "{\"user\":\"ada\"}", KEY);
      assertEquals(200, r.statusCode(), r.body());
      assertEquals(2, JSON.readTree(r.body()).path("closed").asInt(), r.body());
      for (PhxClient s : new PhxClient[] {ada1, ada2}) assertEquals(4005, s.awaitClose(java.time.Duration.ofSeconds(5)).closeCode());
      bob.sendText("[null,\"1\",\"phoenix\",\"heartbeat\",{}]");
      assertTrue(bob.receiveText().contains("\"ok\""), "bob stays connected");
    }
    assertEquals(400, call("POST", "/api/disconnect", "{}", KEY).statusCode());
  }

  @Test
  void errorsAreJsonWithTheRightStatus() throws Exception {
    assertEquals(401, call("POST", "/api/publish", "{}", "wrong").statusCode());
    assertEquals(401, call("POST", "/api/publish", "{}", null).statusCode());
    record Case(String body, int status, String error) {}
    for (Case c : new Case[] {
        new Case("not json", 400, "body must be JSON"),
        new Case("[1]", 400, "body must be a JSON object"),
        new Case("{\"topic\":\"room:x\",\"payload\":{}}", 400, "event must be a non-empty string"),
        new Case("{\"topic\":\"room:x\",\"event\":\"phx_join\",\"payload\":{}}", 400, "reserved event"),
        new Case("{\"topic\":\"room:x\",\"event\":\"msg\",\"payload\":[1]}", 400, "payload must be a JSON object"),
        new Case("{\"event\":\"msg\",\"payload\":{}}", 400, "topic (or topics) is required"),
        new Case("{\"topic\":\"no-colon\",\"event\":\"msg\",\"payload\":{}}", 400, "invalid topic"),
        new Case("{\"topic\":\"nosuch:x\",\"event\":\"msg\",\"payload\":{}}", 404, "unknown namespace"),
        new Case("{\"topic\":\"announcements:x\",\"event\":\"msg\",\"payload\":{\"t\":\"" + "x".repeat(200) + "\"}}", 413, "message too large"),
        // the same bounds as a client push: the event name, and the whole frame, not only the payload
        new Case("{\"topic\":\"room:x\",\"event\":\"" + "e".repeat(65) + "\",\"payload\":{}}", 400, "event too long"),
        new Case("{\"topics\":[],\"event\":\"msg\",\"payload\":{}}", 400, "topics must be a list of 1..1000 topics")}) {
      HttpResponse<String> r = call("POST", "/api/publish", c.body(), KEY);
      assertEquals(c.status(), r.statusCode(), c.body() + " -> " + r.body());
      assertEquals(c.error(), JSON.readTree(r.body()).path("error").asText(), c.body());
    }
    assertEquals(400, call("GET", "/api/history/room:x?since=abc", null, KEY).statusCode());
    assertEquals(404, call("GET", "/api/history/nosuch:x", null, KEY).statusCode());
  }
}
