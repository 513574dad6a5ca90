package dev.chorus.hooks;

import static dev.chorus.testkit.BadInput.assertErrorReply;
import static dev.chorus.testkit.BadInput.assertRoomStillWorks;
import static dev.chorus.testkit.BadInput.room;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.BadInput;
import dev.chorus.testkit.HookBackend;
import dev.chorus.testkit.HookBackend.Answer;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The join hook on a real node with a real backend: an allowed join gets the backend's reply
 * fields in its response (never over Chorus's own) and its meta in the presence meta; a refusal
 * is the join's error reply; a slow or absent backend gets the hook's on-failure answer; a join
 * waiting for the backend counts as a join in progress until its answer.
 */
@Timeout(120)
class JoinHookTest {
  static final String SECRET = "join-test-secret";
  static HookBackend backend;
  static ChorusNode node;

  @BeforeAll
  static void start() throws Exception {
    backend = new HookBackend(SECRET, JoinHookTest::answer);
    String down = HookCallTest.downUrl();
    node = TestNode.start("""
        chorus.hooks.secret = "%s"
        chorus.namespaces.jn { presence = on, hooks.join.url = "%s" }
        chorus.namespaces.jslow.hooks.join { url = "%s", timeout = 1 s, breaker-max-failures = 100 }
        chorus.namespaces.jdown.hooks.join { url = "%s", breaker-max-failures = 2 }
        chorus.namespaces.jdownallow.hooks.join { url = "%s", on-failure = allow, breaker-max-failures = 2 }
        """.formatted(SECRET, backend.url("/join"), backend.url("/slow"), down, down));
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
    backend.close();
  }

  static Answer answer(HookBackend.Received r) {
    if (r.body().path("payload").path("pass").asText().equals("no")) {
      return Answer.json("{\"result\":\"refuse\",\"reason\":\"not invited\"}");
    }
    return Answer.json("{\"result\":\"allow\",\"reply\":{\"role\":\"admin\",\"epoch\":\"fake\"},\"meta\":{\"name\":\"Ann\",\"status\":\"busy\"}}");
  }

  static int port() {
    return node.httpAddress().getPort();
  }

  static PhxClient client(String user) throws IOException {
    return PhxClient.connect(port(), PhxClient.VSN + "&user=" + user).withWait(BadInput.WAIT);
  }

  @Test
  void anAllowedJoinGetsTheBackendsReplyAndMeta() throws Exception {
    String topic = room("jn");
    try (PhxClient ann = client("ann")) {
      JsonNode response = ann.join(topic, "1", "{\"meta\":{\"status\":\"here\",\"device\":\"phone\"}}");
      assertEquals("admin", response.get("role").asText());
      assertNotEquals("fake", response.get("epoch").asText(), "Chorus's own keys stay its own: " + response);
      assertTrue(response.get("seq").isNumber());
      JsonNode state = ann.skipTo("presence_state", f -> "presence_state".equals(f.path(3).asText()));
      JsonNode meta = state.path(4).path("ann").path("metas").path(0);
      assertEquals("Ann", meta.path("name").asText(), state.toString());
      assertEquals("busy", meta.path("status").asText(), "the backend's meta over the client's: " + state);
      assertEquals("phone", meta.path("device").asText(), state.toString());
      HookBackend.Received got = backend.received("/join").stream()
          .filter(r -> r.body().path("topic").asText().equals(topic)).findFirst().orElseThrow();
      assertTrue(got.signed());
      assertEquals("ann", got.body().get("user").asText());
      assertEquals("phone", got.body().path("payload").path("meta").path("device").asText());
      assertTrue(got.body().get("conn_id").isTextual());
    }
  }

  @Test
  void aRefusedJoinIsItsErrorReplyAndTheRoomCarriesOn() throws Exception {
    String topic = room("jn");
    try (PhxClient witness = client("wit"); PhxClient bob = client("bob")) {
      witness.join(topic, "1", "{}");
      bob.sendJoin(topic, "1", "{\"pass\":\"no\"}");
      bob.send("1", "early", topic, "msg", "{}"); // a push while the join is under way
      assertErrorReply(bob.reply("1"), "not invited");
      assertErrorReply(bob.reply("early"), "unmatched topic");
      assertTrue(node.metrics().joinsRefusedBy("refused by backend") >= 1);
      bob.join(topic, "2", "{}"); // allowed this time
      assertRoomStillWorks(topic, witness, f -> f.path(3).asText().startsWith("presence_")); // and nothing of bob's refused join
    }
  }

  @Test
  void aSlowBackendTimesTheJoinOutWhichCountsAsInProgressMeanwhile() throws Exception {
    String topic = room("jslow");
    backend.hold();
    try (PhxClient c = client("slowpoke")) {
      c.sendJoin(topic, "1", "{}");
      TestNode.await("the join to reach the backend", BadInput.WAIT, () -> backend.held() == 1);
      assertEquals(1, node.metrics().joinsInProgress.get(), "a join waiting for its hook is in progress");
      assertErrorReply(c.reply("1"), "backend timeout");
      TestNode.await("no join in progress", BadInput.WAIT, () -> node.metrics().joinsInProgress.get() == 0);
      c.assertHeartbeatAnswered();
    } finally {
      backend.release();
    }
  }

  @Test
  void aBackendDownRefusesJoinsAndOpensTheBreaker() throws Exception {
    try (PhxClient c = client("downer")) {
      for (int i = 1; i <= 3; i++) {
        if (i == 3) HookCallTest.awaitBreakerOpen(Hooks.get(node.system()), "join", "jdown");
        String topic = room("jdown");
        c.sendJoin(topic, "j" + i, "{}");
        assertErrorReply(c.reply("j" + i), "backend unavailable");
      }
      HookMetrics m = Hooks.get(node.system()).metrics();
      assertEquals(2, m.errors("join", "jdown", "connection"));
      assertEquals(1, m.errors("join", "jdown", "refused_by_breaker"));
      c.assertHeartbeatAnswered();
    }
  }

  @Test
  void aBackendDownWithOnFailureAllowLetsJoinsThrough() throws Exception {
    String topic = room("jdownallow");
    try (PhxClient witness = client("w2"); PhxClient c = client("c2")) {
      witness.join(topic, "1", "{}");
      c.join(topic, "1", "{}");
      HookCallTest.awaitBreakerOpen(Hooks.get(node.system()), "join", "jdownallow");
      c.join(room("jdownallow"), "2", "{}");
      assertEquals(1, Hooks.get(node.system()).metrics().errors("join", "jdownallow", "refused_by_breaker"));
      assertRoomStillWorks(topic, witness);
    }
  }
}
