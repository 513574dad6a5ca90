package dev.chorus.api;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * GET /api/topics (the topics with members, a page at a time, in name order, with a cursor) and
 * GET /api/presence/{topic}/stats (the counts alone), over HTTP with real WebSocket members.
 */
class TopicsAndStatsApiTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String KEY = "backend-key";

  @RegisterExtension
  static final TestNodeExtension NODE = new TestNodeExtension(String.join("\n",
      "chorus.api.key = \"" + KEY + "\"",
      "chorus.api.max-topics-per-page = 3",
      "chorus.namespaces.listed {}",
      "chorus.namespaces.room.presence = on",
      "chorus.namespaces.elsewhere {}"));

  static HttpResponse<String> get(String path) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(NODE.node().managementUri().resolve(path))
        .header("Authorization", "Bearer " + KEY).GET().build();
    return HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode ok(String path) throws Exception {
    HttpResponse<String> r = get(path);
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  static PhxClient member(String... topics) throws Exception {
    PhxClient c = PhxClient.connect(NODE.port());
    for (String t : topics) c.join(t);
    return c;
  }

  @Test
  void topicsArePagedInNameOrderWithTheirMembers() throws Exception {
    List<PhxClient> clients = new ArrayList<>();
    try {
      // listed:e has three members, listed:a two, the others one
      clients.add(member("listed:e", "listed:a", "listed:c"));
      clients.add(member("listed:e", "listed:a", "listed:b", "listed:d"));
      clients.add(member("listed:e", "elsewhere:x"));

      JsonNode first = ok("/api/topics?namespace=listed&limit=2");
      assertEquals(List.of("listed:a", "listed:b"), topics(first));
      assertEquals(2, first.path("topics").path(0).path("members").asInt(), first.toString());
      assertEquals(1, first.path("topics").path(0).path("nodes").asInt(), first.toString());
      assertEquals(1, first.path("topics").path(1).path("members").asInt(), first.toString());
      assertEquals("listed:b", first.path("next").asText());
      assertEquals(first.path("asked").asInt(), first.path("answered").asInt());

      JsonNode second = ok("/api/topics?namespace=listed&limit=2&after=" + enc(first.path("next").asText()));
      assertEquals(List.of("listed:c", "listed:d"), topics(second));
      JsonNode third = ok("/api/topics?namespace=listed&limit=2&after=" + enc(second.path("next").asText()));
      assertEquals(List.of("listed:e"), topics(third));
      assertEquals(3, third.path("topics").path(0).path("members").asInt(), third.toString());
      assertTrue(third.path("next").isNull(), "the last page: " + third);

      // without a namespace: every namespace, by the default (here the largest) page size
      JsonNode all = ok("/api/topics");
      assertEquals(3, all.path("topics").size(), all.toString());
      List<String> everything = new ArrayList<>();
      String after = "";
      do {
        JsonNode page = ok("/api/topics?limit=3&after=" + enc(after));
        everything.addAll(topics(page));
        after = page.path("next").isNull() ? null : page.path("next").asText();
      } while (after != null);
      assertTrue(everything.containsAll(List.of("elsewhere:x", "listed:a", "listed:b", "listed:c", "listed:d", "listed:e")), everything.toString());
      assertEquals(everything.stream().sorted().toList(), everything, "name order, each once");
      assertEquals(everything.stream().distinct().count(), everything.size());
    } finally {
      for (PhxClient c : clients) c.close();
    }
  }

  @Test
  void badListingsAreRefused() throws Exception {
    assertEquals(400, get("/api/topics?limit=0").statusCode());
    assertEquals(400, get("/api/topics?limit=4").statusCode()); // over max-topics-per-page
    assertEquals(400, get("/api/topics?limit=x").statusCode());
    assertEquals(404, get("/api/topics?namespace=nowhere").statusCode());
  }

  @Test
  void presenceStatsCountUsersAndConnectionsWithoutTheList() throws Exception {
    String topic = "room:stats";
    try (PhxClient ada1 = PhxClient.connect(NODE.port(), PhxClient.VSN + "&user=ada");
         PhxClient ada2 = PhxClient.connect(NODE.port(), PhxClient.VSN + "&user=ada");
         PhxClient bob = PhxClient.connect(NODE.port(), PhxClient.VSN + "&user=bob")) {
      ada1.join(topic);
      ada2.join(topic);
      bob.join(topic);
      // presence is replicated, so the counts arrive shortly after the joins' replies
      long deadline = System.nanoTime() + 10_000_000_000L;
      JsonNode stats;
      do {
        stats = ok("/api/presence/" + enc(topic) + "/stats");
      } while (stats.path("connections").asInt() < 3 && System.nanoTime() < deadline && pause());
      assertEquals(2, stats.path("users").asInt(), stats.toString());
      assertEquals(3, stats.path("connections").asInt(), stats.toString());
      assertEquals(2, stats.size(), "the counts and nothing else: " + stats);
    }
    assertEquals(404, get("/api/presence/listed:a/stats").statusCode()); // presence off there
    assertEquals(400, get("/api/presence/nocolon/stats").statusCode());
  }

  static boolean pause() throws InterruptedException {
    Thread.sleep(50); // between reads of a replicated count
    return true;
  }

  static List<String> topics(JsonNode page) {
    List<String> out = new ArrayList<>();
    for (JsonNode t : page.path("topics")) out.add(t.path("topic").asText());
    return out;
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
