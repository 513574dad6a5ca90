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
import java.util.Base64;
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

  static HttpResponse<String> callRaw(String path, byte[] body) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(node.managementUri().resolve(path))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .header("Content-Type", "application/octet-stream")
        .header("Authorization", "Bearer " + KEY)
        .build();
    return HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aBackendPublishesBinaryAsBase64OrARawBodyAndHistoryShowsItAsBase64() throws Exception {
    byte[] bytes = new byte[2000];
    java.util.concurrent.ThreadLocalRandom.current().nextBytes(bytes);
    byte[] raw = {0, (byte) 0xFF, 7};
    String b64 = Base64.getEncoder().encodeToString(bytes);
    try (PhxClient s = subscriber("room:api-binary")) {
      HttpResponse<String> r = call("POST", "/api/publish",
          "{\"topic\":\"room:api-binary\",\"event\":\"file\",\"binary\":\"" + b64 + "\"}", KEY);
      assertEquals(200, r.statusCode(), r.body());
      assertEquals(1, JSON.readTree(r.body()).path("seq").asLong());
      r = call("POST", "/api/publish", "{\"topic\":\"room:api-binary\",\"event\":\"msg\",\"payload\":{\"n\":2}}", KEY);
      assertEquals(200, r.statusCode(), r.body());
      r = callRaw("/api/publish?topic=room:api-binary&event=raw", raw);
      assertEquals(200, r.statusCode(), r.body());
      assertEquals(3, JSON.readTree(r.body()).path("seq").asLong());

      JsonNode first = s.next();
      assertEquals("file", first.get(3).asText());
      assertArrayEquals(bytes, PhxClient.binaryPayload(first));
      assertEquals(2, s.next().get(4).path("n").asInt());
      JsonNode third = s.next();
      assertEquals("raw", third.get(3).asText());
      assertArrayEquals(raw, PhxClient.binaryPayload(third));

      JsonNode messages = JSON.readTree(call("GET", "/api/history/room:api-binary?since=0", null, KEY).body()).path("messages");
      assertEquals(3, messages.size(), messages.toString());
      assertEquals("file", messages.path(0).path("event").asText());
      assertEquals(b64, messages.path(0).path("binary").asText());
      assertFalse(messages.path(0).has("payload"));
      assertEquals(2, messages.path(1).path("payload").path("n").asInt());
      assertFalse(messages.path(1).has("binary"));
      assertArrayEquals(raw, Base64.getDecoder().decode(messages.path(2).path("binary").asText()));
    }
  }

  @Test
  void binaryPublishesAreCheckedInBytes() throws Exception {
    // announcements: max-message-bytes = 100; a binary message counts as the binary push it
    // would be without refs: 5 + "announcements:b" (15) + "msg" (3) + the payload
    int at = 100 - 5 - 15 - 3;
    assertEquals(200, callRaw("/api/publish?topic=announcements:b&event=msg", new byte[at]).statusCode());
    HttpResponse<String> over = callRaw("/api/publish?topic=announcements:b&event=msg", new byte[at + 1]);
    assertEquals(413, over.statusCode(), over.body());
    assertEquals("message too large", JSON.readTree(over.body()).path("error").asText());
    String b64 = Base64.getEncoder().encodeToString(new byte[at]);
    assertEquals(200, call("POST", "/api/publish", "{\"topic\":\"announcements:b\",\"event\":\"msg\",\"binary\":\"" + b64 + "\"}", KEY).statusCode());
    String b64Over = Base64.getEncoder().encodeToString(new byte[at + 1]);
    assertEquals(413, call("POST", "/api/publish", "{\"topic\":\"announcements:b\",\"event\":\"msg\",\"binary\":\"" + b64Over + "\"}", KEY).statusCode());
    record Case(String body, int status, String error) {}
    String longTopic = "room:" + "t".repeat(251); // 256 bytes: a valid topic, longer than a binary message can name
    for (Case c : new Case[] {
        new Case("{\"topic\":\"room:x\",\"event\":\"msg\",\"binary\":\"AAA\",\"payload\":{}}", 400, "either payload or binary, not both"),
        new Case("{\"topic\":\"room:x\",\"event\":\"msg\",\"binary\":\"not base64!\"}", 400, "binary must be a base64 string"),
        new Case("{\"topic\":\"room:x\",\"event\":\"msg\",\"binary\":42}", 400, "binary must be a base64 string"),
        new Case("{\"topic\":\"" + longTopic + "\",\"event\":\"msg\",\"binary\":\"AAA=\"}", 400, "topic or event too long for a binary message")}) {
      HttpResponse<String> r = call("POST", "/api/publish", c.body(), KEY);
      assertEquals(c.status(), r.statusCode(), c.body() + " -> " + r.body());
      assertEquals(c.error(), JSON.readTree(r.body()).path("error").asText(), c.body());
    }
    HttpResponse<String> noTopic = callRaw("/api/publish?event=msg", new byte[1]);
    assertEquals(400, noTopic.statusCode());
    assertEquals("topic is required", JSON.readTree(noTopic.body()).path("error").asText());
    HttpResponse<String> reserved = callRaw("/api/publish?topic=room:x&event=phx_reply", new byte[1]);
    assertEquals("reserved event", JSON.readTree(reserved.body()).path("error").asText());
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
