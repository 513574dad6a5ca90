package dev.chorus.api;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.RawSocket;
import dev.chorus.testkit.TestNodeExtension;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The API's request bodies are bounded like client frames: in size (chorus.api.max-body-bytes,
 * checked while the body arrives: before, a 7 MB body was read and parsed before any size
 * check) and in nesting (64 levels, as protocol/FrameCodec: before, a payload 900 deep was
 * accepted and sent on to clients, whose own frames stop at 64).
 */
class ApiLimitsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String KEY = "limits-key";
  static final int MAX = 2048;

  @RegisterExtension
  static final TestNodeExtension NODE = new TestNodeExtension(
      "chorus.api { key = \"" + KEY + "\", max-body-bytes = " + MAX + " }");

  static HttpResponse<String> post(String path, String body) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(NODE.node().managementUri().resolve(path))
        .timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + KEY)
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    return HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString());
  }

  /** A publish to {@code topic} whose body is exactly {@code bytes} bytes. */
  static String publishOf(String topic, int bytes) {
    String head = "{\"topic\":\"" + topic + "\",\"event\":\"msg\",\"payload\":{\"p\":\"";
    String tail = "\"}}";
    String body = head + "x".repeat(bytes - head.length() - tail.length()) + tail;
    assertEquals(bytes, body.getBytes(StandardCharsets.UTF_8).length);
    return body;
  }

  /** An object nested {@code depth} levels: {"a":{"a":{}}} is 3. */
  static String nested(int depth) {
    return "{\"a\":".repeat(depth - 1) + "{}" + "}".repeat(depth - 1);
  }

  static String error(HttpResponse<String> r) throws Exception {
    assertEquals("application/json", r.headers().firstValue("content-type").orElse(""), r.body());
    return JSON.readTree(r.body()).path("error").asText();
  }

  @Test
  void bodiesUpToTheLimitArePublishedAndOneByteMoreIsRefused() throws Exception {
    ChorusNode node = NODE.node();
    try (PhxClient subscriber = PhxClient.connect(NODE.port())) {
      subscriber.join("room:api-size");
      assertEquals(200, post("/api/publish", publishOf("room:api-size", MAX - 1)).statusCode());
      assertEquals(200, post("/api/publish", publishOf("room:api-size", MAX)).statusCode());
      assertEquals(2, subscriber.broadcasts("room:api-size", 2, Duration.ofSeconds(5)).size());
      long before = node.metrics().managementRefusedBy("body_too_large");
      HttpResponse<String> over = post("/api/publish", publishOf("room:api-size", MAX + 1));
      assertEquals(413, over.statusCode(), over.body());
      assertEquals("body too large: at most " + MAX + " bytes (chorus.api.max-body-bytes)", error(over));
      assertEquals(413, post("/api/disconnect", "{\"user\":\"" + "x".repeat(MAX) + "\"}").statusCode());
      assertEquals(2, node.metrics().managementRefusedBy("body_too_large") - before);
      subscriber.assertHeartbeatAnswered();
    }
  }

  @Test
  void aHugeBodyIsRefusedBeforeItArrives() throws Exception {
    int port = NODE.node().managementUri().getPort();
    String head = "POST /api/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY + "\r\n"
        + "Content-Type: application/json\r\n";
    // 7 MB announced, 64 KB sent: the answer comes without the rest.
    try (RawSocket s = RawSocket.open(port)) {
      s.send(head + "Content-Length: 7000000\r\n\r\n" + publishOf("room:api-huge", 64 * 1024));
      String answer = s.awaitReceived("}", Duration.ofSeconds(5));
      assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
      assertTrue(answer.contains("body too large"), answer);
    }
    // No length announced (chunked): refused once the limit is passed, the rest never sent.
    try (RawSocket s = RawSocket.open(port)) {
      String chunk = "x".repeat(1024);
      s.send(head + "Transfer-Encoding: chunked\r\n\r\n");
      for (int i = 0; i < 3; i++) s.send(Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
      String answer = s.awaitReceived("}", Duration.ofSeconds(5));
      assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
    }
  }

  @Test
  void aPayloadNestedDeeperThanClientFramesMayBeIsRefused() throws Exception {
    ChorusNode node = NODE.node();
    try (PhxClient subscriber = PhxClient.connect(NODE.port())) {
      subscriber.join("room:api-deep");
      // The body is level 1, its payload level 2: a 63-deep payload makes 64 levels, as in a frame.
      HttpResponse<String> deepest = post("/api/publish",
          "{\"topic\":\"room:api-deep\",\"event\":\"msg\",\"payload\":" + nested(63) + "}");
      assertEquals(200, deepest.statusCode(), deepest.body());
      List<JsonNode> got = subscriber.broadcasts("room:api-deep", 1, Duration.ofSeconds(5));
      assertEquals(JSON.readTree(nested(63)), got.get(0).get(4), "delivered whole");
      long before = node.metrics().managementRefusedBy("too_deep");
      HttpResponse<String> deeper = post("/api/publish",
          "{\"topic\":\"room:api-deep\",\"event\":\"msg\",\"payload\":" + nested(64) + "}");
      assertEquals(400, deeper.statusCode(), deeper.body());
      assertEquals("body nested deeper than 64 levels", error(deeper));
      // The 900 levels, in arrays to stay under the size limit.
      String far = "{\"topic\":\"room:api-deep\",\"event\":\"msg\",\"payload\":{\"a\":" + "[".repeat(898) + "]".repeat(898) + "}}";
      assertTrue(far.length() < MAX);
      assertEquals("body nested deeper than 64 levels", error(post("/api/publish", far)));
      assertEquals(400, post("/api/disconnect", "{\"user\":\"ada\",\"x\":" + nested(64) + "}").statusCode());
      assertEquals(3, node.metrics().managementRefusedBy("too_deep") - before);
      subscriber.assertHeartbeatAnswered();
    }
  }
}
