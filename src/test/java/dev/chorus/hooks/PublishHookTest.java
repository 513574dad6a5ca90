package dev.chorus.hooks;

import static dev.chorus.testkit.BadInput.assertErrorReply;
import static dev.chorus.testkit.BadInput.assertRoomStillWorks;
import static dev.chorus.testkit.BadInput.isBroadcast;
import static dev.chorus.testkit.BadInput.room;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.BadInput;
import dev.chorus.testkit.HookBackend;
import dev.chorus.testkit.HookBackend.Answer;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The publish and RPC hooks on a real node with a real backend: a push is broadcast only once
 * the backend allowed it (with its payload, or the backend's), a refusal is the push's error
 * reply, a join's pushes keep their order and wait in a bounded queue, a slow or absent backend
 * gets the hook's on-failure answer (and opens the breaker), and an RPC push gets the backend's
 * reply and is never broadcast. Witnesses keep receiving throughout.
 */
@Timeout(120)
class PublishHookTest {
  static final String SECRET = "publish-test-secret";
  static HookBackend backend;
  static ChorusNode node;

  @BeforeAll
  static void start() throws Exception {
    backend = new HookBackend(SECRET, PublishHookTest::answer);
    String down = HookCallTest.downUrl();
    node = TestNode.start("""
        chorus.hooks.secret = "%s"
        chorus.namespaces.pub.hooks {
          publish { url = "%s" }
          rpc { url = "%s", events = ["get_profile"] }
        }
        chorus.namespaces.slow.hooks.publish { url = "%s", timeout = 1 s, max-pending = 2, breaker-max-failures = 100 }
        chorus.namespaces.down.hooks.publish { url = "%s", breaker-max-failures = 2 }
        chorus.namespaces.downallow.hooks.publish { url = "%s", on-failure = allow, breaker-max-failures = 2 }
        """.formatted(SECRET, backend.url("/publish"), backend.url("/rpc"), backend.url("/slow"), down, down));
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
    backend.close();
  }

  static Answer answer(HookBackend.Received r) {
    JsonNode body = r.body();
    if (r.path().equals("/rpc")) {
      if (body.path("payload").path("id").asText().equals("missing")) return Answer.json("{\"error\":\"no such user\"}");
      return Answer.json("{\"reply\":{\"name\":\"Ann\",\"asked_by\":\"" + body.get("user").asText() + "\"}}");
    }
    String text = body.path("payload").path("body").asText();
    if (text.equals("bad")) return Answer.json("{\"result\":\"refuse\",\"reason\":\"no bad words\"}");
    if (text.equals("shout")) {
      return Answer.json("{\"result\":\"allow\",\"payload\":{\"body\":\"SHOUT\",\"id\":\"" + body.path("payload").path("id").asText() + "\"}}");
    }
    if (body.has("binary")) return Answer.json("{\"result\":\"allow\"}");
    return Answer.json("{\"result\":\"allow\"}");
  }

  static PhxClient joined(String query, String topic) throws IOException {
    PhxClient c = PhxClient.connect(node.httpAddress().getPort(), query).withWait(BadInput.WAIT);
    c.join(topic, "1", "{}");
    return c;
  }

  static int port() {
    return node.httpAddress().getPort();
  }

  @Test
  void anAllowedPushIsBroadcastAndTheBackendSawItSigned() throws Exception {
    String topic = room("pub");
    try (PhxClient witness = BadInput.joined(port(), topic); PhxClient ann = joined("vsn=2.0.0&user=ann", topic)) {
      ann.pushOk(topic, "msg", "{\"body\":\"hello\",\"id\":\"a1\"}");
      witness.expect("the allowed push", f -> isBroadcast(f, "a1"));
      HookBackend.Received got = backend.received("/publish").stream()
          .filter(r -> r.body().path("payload").path("id").asText().equals("a1")).findFirst().orElseThrow();
      assertTrue(got.signed());
      assertEquals(topic, got.body().get("topic").asText());
      assertEquals("msg", got.body().get("event").asText());
      assertEquals("ann", got.body().get("user").asText());
      assertTrue(got.body().get("conn_id").asText().matches("[0-9a-f]{16}"), "the connection's id: " + got.body());
    }
  }

  @Test
  void aRefusedPushIsItsErrorReplyAndNeverBroadcast() throws Exception {
    String topic = room("pub");
    try (PhxClient witness = BadInput.joined(port(), topic); PhxClient bad = BadInput.joined(port(), topic)) {
      String ref = bad.push(topic, "msg", "{\"body\":\"bad\",\"id\":\"b1\"}");
      assertErrorReply(bad.reply(ref), "no bad words");
      // the witness sees the next good push and nothing before it
      assertRoomStillWorks(topic, witness);
      assertTrue(node.metrics().pushesRefusedBy("refused by backend") >= 1);
    }
  }

  @Test
  void theBackendCanChangeThePayload() throws Exception {
    String topic = room("pub");
    try (PhxClient witness = BadInput.joined(port(), topic); PhxClient c = BadInput.joined(port(), topic)) {
      c.pushOk(topic, "msg", "{\"body\":\"shout\",\"id\":\"s1\"}");
      JsonNode f = witness.expect("the changed push", g -> isBroadcast(g, "s1"));
      assertEquals("SHOUT", f.get(4).get("body").asText());
    }
  }

  @Test
  void aJoinsPushesKeepTheirOrderThroughTheHook() throws Exception {
    String topic = room("pub");
    try (PhxClient witness = BadInput.joined(port(), topic); PhxClient c = BadInput.joined(port(), topic)) {
      List<String> refs = new ArrayList<>();
      for (int i = 0; i < 30; i++) refs.add(c.push(topic, "msg", "{\"id\":\"o" + i + "\"}"));
      for (String ref : refs) assertEquals("ok", PhxClient.status(c.reply(ref)));
      List<JsonNode> got = witness.broadcasts(topic, 30, BadInput.WAIT);
      for (int i = 0; i < 30; i++) assertEquals("o" + i, got.get(i).get(4).get("id").asText());
    }
  }

  @Test
  void aBinaryPushGoesToTheBackendAsBase64() throws Exception {
    String topic = room("pub");
    byte[] bytes = {0, 1, 2, (byte) 0xff};
    try (PhxClient witness = BadInput.joined(port(), topic); PhxClient c = BadInput.joined(port(), topic)) {
      assertEquals("ok", PhxClient.status(c.reply(c.pushBinary(topic, "bin", bytes))));
      JsonNode f = witness.expect("the binary broadcast", g -> PhxClient.binaryPayload(g) != null);
      assertArrayEquals(bytes, PhxClient.binaryPayload(f));
      assertTrue(backend.received("/publish").stream()
          .anyMatch(r -> r.body().path("binary").asText().equals(Base64.getEncoder().encodeToString(bytes))));
    }
  }

  @Test
  void aSlowBackendTimesOutAndPushesBeyondMaxPendingAreRefusedAtOnce() throws Exception {
    String topic = room("slow");
    try (PhxClient witness = BadInput.joined(port(), topic); PhxClient c = BadInput.joined(port(), topic)) {
      backend.hold();
      try {
        String first = c.push(topic, "msg", "{\"id\":\"w1\"}");
        String second = c.push(topic, "msg", "{\"id\":\"w2\"}");
        String third = c.push(topic, "msg", "{\"id\":\"w3\"}");
        String fourth = c.push(topic, "msg", "{\"id\":\"w4\"}"); // one in the hook, two waiting: max-pending = 2
        assertErrorReply(c.reply(fourth), "too many pending pushes");
        assertErrorReply(c.reply(first), "backend timeout");
        assertErrorReply(c.reply(second), "backend timeout");
        assertErrorReply(c.reply(third), "backend timeout");
      } finally {
        backend.release();
      }
      // now the backend answers again, and the witness gets the next push, nothing before
      c.pushOk(topic, "msg", "{\"id\":\"w5\"}");
      witness.expect("the push after the slow ones", f -> isBroadcast(f, "w5"));
      assertTrue(witness.buffered().isEmpty(), "nothing of the timed-out pushes: " + witness.buffered());
      assertTrue(Hooks.get(node.system()).metrics().errors("publish", "slow", "timeout") >= 3);
    }
  }

  @Test
  void aBackendDownRefusesPushesAndOpensTheBreaker() throws Exception {
    String topic = room("down");
    try (PhxClient witness = BadInput.joined(port(), topic); PhxClient c = BadInput.joined(port(), topic)) {
      for (int i = 0; i < 3; i++) {
        if (i == 2) HookCallTest.awaitBreakerOpen(Hooks.get(node.system()), "publish", "down");
        assertErrorReply(c.reply(c.push(topic, "msg", "{\"id\":\"d" + i + "\"}")), "backend unavailable");
      }
      HookMetrics m = Hooks.get(node.system()).metrics();
      assertEquals(2, m.errors("publish", "down", "connection"));
      assertEquals(1, m.errors("publish", "down", "refused_by_breaker"));
      witness.assertHeartbeatAnswered();
      assertTrue(witness.buffered().isEmpty(), "no refused push reached the witness: " + witness.buffered());
    }
  }

  @Test
  void aBackendDownWithOnFailureAllowLetsPushesThrough() throws Exception {
    String topic = room("downallow");
    try (PhxClient witness = BadInput.joined(port(), topic); PhxClient c = BadInput.joined(port(), topic)) {
      for (int i = 0; i < 3; i++) {
        if (i == 2) HookCallTest.awaitBreakerOpen(Hooks.get(node.system()), "publish", "downallow");
        c.pushOk(topic, "msg", "{\"id\":\"da" + i + "\"}");
      }
      for (int i = 0; i < 3; i++) {
        String id = "da" + i;
        witness.expect("push " + id, f -> isBroadcast(f, id));
      }
      assertEquals(1, Hooks.get(node.system()).metrics().errors("publish", "downallow", "refused_by_breaker"));
    }
  }

  @Test
  void anRpcPushGetsTheBackendsReplyAndIsNeverBroadcast() throws Exception {
    String topic = room("pub");
    try (PhxClient witness = BadInput.joined(port(), topic); PhxClient ann = joined("vsn=2.0.0&user=ann", topic)) {
      JsonNode reply = ann.pushOk(topic, "get_profile", "{\"id\":\"u1\"}");
      assertEquals("Ann", reply.get(4).get("response").get("name").asText());
      assertEquals("ann", reply.get(4).get("response").get("asked_by").asText());
      assertErrorReply(ann.reply(ann.push(topic, "get_profile", "{\"id\":\"missing\"}")), "no such user");
      assertRoomStillWorks(topic, witness); // strict: nothing of the RPCs reached it
      assertTrue(backend.received("/rpc").stream().allMatch(HookBackend.Received::signed));
    }
  }
}
