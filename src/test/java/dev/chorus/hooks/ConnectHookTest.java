package dev.chorus.hooks;

import static dev.chorus.testkit.BadInput.assertErrorReply;
import static dev.chorus.testkit.BadInput.assertRoomStillWorks;
import static dev.chorus.testkit.BadInput.room;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.BadInput;
import dev.chorus.testkit.HookBackend;
import dev.chorus.testkit.HookBackend.Answer;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The connect hook on a real node with a real backend: the backend sees the connect params, the
 * configured headers only and the remote address, and its answer admits the connection with
 * an identity (user, topics, presence meta), admits it as it is, or refuses it with HTTP 403
 * (LongPoll: JSON status 403); a slow or absent backend gets 503, or is let through with
 * on-failure = allow. The upgrade waits for the backend without blocking the event loop: other
 * connections are served meanwhile.
 */
@Timeout(120)
class ConnectHookTest {
  static final String SECRET = "connect-test-secret";
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static HookBackend backend;
  static ChorusNode node;

  @BeforeAll
  static void start() throws Exception {
    backend = new HookBackend(SECRET, ConnectHookTest::answer);
    node = TestNode.start("""
        chorus.hooks.secret = "%s"
        chorus.hooks.connect { url = "%s", headers = ["cookie", "x-app"], timeout = 1 s, breaker-max-failures = 100 }
        chorus.namespaces.pres { presence = on }
        chorus.namespaces.priv {}
        """.formatted(SECRET, backend.url("/connect")));
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
    backend.close();
  }

  static Answer answer(HookBackend.Received r) {
    JsonNode body = r.body();
    if (body.path("params").path("mode").asText().equals("refuse")) return Answer.json("{\"result\":\"refuse\",\"reason\":\"bad session\"}");
    if (body.path("headers").path("cookie").asText().equals("session=ann")) {
      return Answer.json("{\"result\":\"allow\",\"user\":\"ann\",\"topics\":[\"room:*\",\"pres:*\"],\"meta\":{\"name\":\"Ann\"}}");
    }
    return Answer.json("{\"result\":\"allow\"}");
  }

  static int port() {
    return node.httpAddress().getPort();
  }

  @Test
  void theBackendGivesTheConnectionItsIdentity() throws Exception {
    try (PhxClient ann = PhxClient.connectWithHeaders(port(), PhxClient.VSN + "&app_version=7",
        "Cookie: session=ann\r\nX-App: web\r\nX-Private: hidden\r\n").withWait(BadInput.WAIT)) {
      String topic = room("pres");
      ann.join(topic, "1", "{}");
      JsonNode state = ann.skipTo("presence_state", f -> "presence_state".equals(f.path(3).asText()));
      assertEquals("Ann", state.path(4).path("ann").path("metas").path(0).path("name").asText(), "user and meta: " + state);
      ann.sendJoin(room("priv"), "2", "{}");
      assertErrorReply(ann.reply("2"), "unauthorized"); // not among its topics
      HookBackend.Received got = backend.received("/connect").stream()
          .filter(r -> r.body().path("params").path("app_version").asText().equals("7")).findFirst().orElseThrow();
      assertTrue(got.signed());
      assertEquals("web", got.body().path("headers").path("x-app").asText());
      assertFalse(got.body().path("headers").has("x-private"), "only the configured headers: " + got.body());
      assertFalse(got.body().path("params").has("vsn"));
      assertEquals("127.0.0.1", got.body().path("remote_addr").asText());
      assertEquals("websocket", got.body().path("transport").asText());
      assertTrue(got.body().path("conn_id").asText().matches("[0-9a-f]{16}"), "the connection's id: " + got.body());
    }
  }

  @Test
  void anAllowWithoutAUserLeavesTheConnectionAsItIs() throws Exception {
    try (PhxClient bob = PhxClient.connect(port(), PhxClient.VSN + "&user=bob").withWait(BadInput.WAIT)) {
      String topic = room("pres");
      bob.join(topic, "1", "{}");
      JsonNode state = bob.skipTo("presence_state", f -> "presence_state".equals(f.path(3).asText()));
      assertTrue(state.path(4).has("bob"), state.toString());
      bob.join(room("priv"), "2", "{}"); // anonymous: any topic
    }
  }

  @Test
  void aRefusalIs403WithTheReasonAndOthersCarryOn() throws Exception {
    String topic = room("room");
    try (PhxClient witness = BadInput.joined(port(), topic)) {
      PhxClient.UpgradeRefused refused = assertThrows(PhxClient.UpgradeRefused.class,
          () -> PhxClient.connect(port(), PhxClient.VSN + "&mode=refuse"));
      assertEquals(403, refused.status());
      assertEquals("bad session", refused.body());
      assertTrue(node.metrics().refusedBy("connect_hook") >= 1);
      assertRoomStillWorks(topic, witness);
    }
  }

  @Test
  void aLongPollRefusalIsJsonStatus403() throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + port() + "/socket/longpoll?vsn=2.0.0&mode=refuse");
    HttpResponse<String> res = HTTP.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(403, res.statusCode());
    assertEquals(403, JSON.readTree(res.body()).path("status").asInt(), res.body());
    assertTrue(res.body().contains("bad session"), res.body());
    URI ok = URI.create("http://127.0.0.1:" + port() + "/socket/longpoll?vsn=2.0.0");
    HttpResponse<String> opened = HTTP.send(HttpRequest.newBuilder(ok).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(410, JSON.readTree(opened.body()).path("status").asInt(), "a session, its token to poll with: " + opened.body());
    assertTrue(backend.received("/connect").stream().anyMatch(r -> r.body().path("transport").asText().equals("longpoll")));
  }

  @Test
  void aSlowBackendIs503AndTheEventLoopServesOthersMeanwhile() throws Exception {
    String topic = room("room");
    try (PhxClient witness = BadInput.joined(port(), topic)) {
      backend.hold();
      try {
        long start = System.nanoTime();
        PhxClient.UpgradeRefused refused = assertThrows(PhxClient.UpgradeRefused.class,
            () -> PhxClient.connect(port(), PhxClient.VSN + "&user=slow").withWait(BadInput.WAIT));
        assertEquals(503, refused.status());
        assertEquals("backend timeout", refused.body());
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(900).toNanos(), "waited for the hook's timeout");
        witness.assertHeartbeatAnswered(); // served while the backend held the upgrade
      } finally {
        backend.release();
      }
      assertRoomStillWorks(topic, witness);
    }
  }

  @Test
  void aBackendDownIs503ThenTheBreakerAnswersAtOnce() throws Exception {
    try (ChorusNode down = TestNode.start("chorus.hooks.connect { url = \"%s\", breaker-max-failures = 2 }".formatted(HookCallTest.downUrl()))) {
      int port = down.httpAddress().getPort();
      Hooks hooks = Hooks.get(down.system());
      for (int i = 0; i < 3; i++) {
        if (i == 2) HookCallTest.awaitBreakerOpen(hooks, "connect", "");
        PhxClient.UpgradeRefused refused = assertThrows(PhxClient.UpgradeRefused.class, () -> PhxClient.connect(port));
        assertEquals(503, refused.status());
        assertEquals("backend unavailable", refused.body());
      }
      HookMetrics m = hooks.metrics();
      assertEquals(2, m.errors("connect", "", "connection"));
      assertEquals(1, m.errors("connect", "", "refused_by_breaker"));
    }
  }

  @Test
  void aBackendDownWithOnFailureAllowLetsConnectionsIn() throws Exception {
    try (ChorusNode down = TestNode.start(
        "chorus.hooks.connect { url = \"%s\", on-failure = allow, breaker-max-failures = 1 }".formatted(HookCallTest.downUrl()))) {
      for (int i = 0; i < 2; i++) {
        if (i == 1) HookCallTest.awaitBreakerOpen(Hooks.get(down.system()), "connect", "");
        try (PhxClient c = PhxClient.connect(down.httpAddress().getPort()).withWait(BadInput.WAIT)) {
          c.join(room("room"), "1", "{}");
        }
      }
      assertEquals(1, Hooks.get(down.system()).metrics().errors("connect", "", "refused_by_breaker"));
    }
  }
}
