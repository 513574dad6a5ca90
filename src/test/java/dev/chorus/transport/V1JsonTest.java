package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A raw V1 client ({@code vsn=1.0.0}: JSON objects {"topic","event","payload","ref"}) beside V2
 * clients in the same rooms: join, push, replies, broadcasts both ways, heartbeat, bad frames,
 * leave, presence and recovery, each frame to the V1 client in V1 and without join_ref.
 */
@Timeout(60)
class V1JsonTest {
  @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension("chorus.namespaces.pres { presence = on }");
  static final ObjectMapper JSON = new ObjectMapper();
  static final AtomicInteger ROOMS = new AtomicInteger();
  static final Duration WAIT = Duration.ofSeconds(10);

  /** A V1 client: what it reads is parsed as V1 objects, and never holds a join_ref. */
  static final class V1 implements AutoCloseable {
    final PhxClient socket;
    final List<JsonNode> kept = new ArrayList<>();

    V1() throws IOException {
      socket = PhxClient.connect(NODE.port(), "vsn=1.0.0").withWait(WAIT).named("V1 client");
    }

    void send(String topic, String event, String payload, String ref) throws IOException {
      socket.sendText("{\"topic\":\"" + topic + "\",\"event\":\"" + event + "\",\"payload\":" + payload + ",\"ref\":"
          + (ref == null ? "null" : "\"" + ref + "\"") + "}");
    }

    JsonNode next() throws IOException {
      if (!kept.isEmpty()) return kept.remove(0);
      String text = socket.receiveText();
      JsonNode f = JSON.readTree(text);
      assertTrue(f.isObject(), "a V1 frame is an object: " + text);
      assertEquals(List.of("topic", "event", "payload", "ref"), fieldNames(f), "exactly the four keys, no join_ref: " + text);
      return f;
    }

    /** The first frame matching {@code p}; the others read meanwhile are kept, in order. */
    JsonNode expect(Predicate<JsonNode> p) throws IOException {
      for (int i = 0; i < kept.size(); i++) if (p.test(kept.get(i))) return kept.remove(i);
      List<JsonNode> past = new ArrayList<>();
      while (true) {
        JsonNode f = next();
        if (p.test(f)) {
          kept.addAll(past);
          return f;
        }
        past.add(f);
        if (past.size() > 100) fail("not found in 100 frames: " + past);
      }
    }

    JsonNode reply(String ref) throws IOException {
      JsonNode r = expect(f -> "phx_reply".equals(f.get("event").asText()) && ref.equals(f.get("ref").asText()));
      return r;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  static List<String> fieldNames(JsonNode f) {
    List<String> names = new ArrayList<>();
    f.fieldNames().forEachRemaining(names::add);
    return names;
  }

  static String status(JsonNode v1Reply) {
    return v1Reply.get("payload").get("status").asText();
  }

  static String topic(String namespace) {
    return namespace + ":v1-" + ROOMS.incrementAndGet();
  }

  @Test
  void aV1AndAV2ClientShareARoom() throws Exception {
    String t = topic("room");
    try (V1 v1 = new V1(); PhxClient v2 = PhxClient.connect(NODE.port()).withWait(WAIT)) {
      v1.send(t, "phx_join", "{}", "1");
      JsonNode joined = v1.next();
      assertEquals(t, joined.get("topic").asText());
      assertEquals("phx_reply", joined.get("event").asText());
      assertEquals("1", joined.get("ref").asText());
      assertEquals("ok", status(joined));
      String epoch = joined.get("payload").get("response").get("epoch").asText();
      assertEquals(0, joined.get("payload").get("response").get("seq").asInt());
      v2.join(t);

      // V1 pushes: its reply and its own broadcast in V1, the V2 client's broadcast in V2
      v1.send(t, "msg", "{\"from\":\"v1\"}", "2");
      assertEquals("ok", status(v1.reply("2")));
      JsonNode own = v1.expect(f -> "msg".equals(f.get("event").asText()));
      assertEquals("{\"topic\":\"" + t + "\",\"event\":\"msg\",\"payload\":{\"from\":\"v1\"},\"ref\":\"" + epoch + ":1\"}", own.toString());
      JsonNode atV2 = v2.broadcasts(t, 1, WAIT).get(0);
      assertEquals("[null,\"" + epoch + ":1\",\"" + t + "\",\"msg\",{\"from\":\"v1\"}]", atV2.toString());

      // V2 pushes: the V1 client gets it in V1
      v2.pushOk(t, "msg", "{\"from\":\"v2\"}");
      JsonNode fromV2 = v1.expect(f -> "msg".equals(f.get("event").asText()));
      assertEquals("{\"topic\":\"" + t + "\",\"event\":\"msg\",\"payload\":{\"from\":\"v2\"},\"ref\":\"" + epoch + ":2\"}", fromV2.toString());

      // heartbeat
      v1.send("phoenix", "heartbeat", "{}", "3");
      JsonNode hb = v1.reply("3");
      assertEquals("{\"topic\":\"phoenix\",\"event\":\"phx_reply\",\"payload\":{\"status\":\"ok\",\"response\":{}},\"ref\":\"3\"}", hb.toString());

      // a bad frame whose ref could be read: an error reply in V1, the connection stays
      v1.socket.sendText("{\"topic\":\"" + t + "\",\"event\":\"msg\",\"ref\":\"4\"}");
      JsonNode badReply = v1.reply("4");
      assertEquals("error", status(badReply));
      assertEquals("bad frame: missing key payload", badReply.get("payload").get("response").get("reason").asText());

      // leave: its reply, then phx_close under the join's ref; then nothing more of the topic
      v1.send(t, "phx_leave", "{}", "5");
      assertEquals("ok", status(v1.reply("5")));
      JsonNode close = v1.expect(f -> "phx_close".equals(f.get("event").asText()));
      assertEquals("1", close.get("ref").asText());
      v2.pushOk(t, "msg", "{\"after\":\"leave\"}");
      v1.send("phoenix", "heartbeat", "{}", "6");
      JsonNode next = v1.next();
      assertEquals("6", next.get("ref").asText(), "nothing of the topic after the leave: " + next + " " + v1.kept);
    }
  }

  /** A broadcast is rendered in V1 once per node for all the room's V1 members, and never in a room without one. */
  @Test
  void aBroadcastIsRenderedInV1OnceForAllV1MembersAndNeverForV2Rooms() throws Exception {
    String mixed = topic("room");
    String v2only = topic("room");
    try (V1 a = new V1(); V1 b = new V1(); PhxClient v2 = PhxClient.connect(NODE.port()).withWait(WAIT)) {
      a.send(mixed, "phx_join", "{}", "1");
      a.reply("1");
      b.send(mixed, "phx_join", "{}", "1");
      b.reply("1");
      v2.join(mixed);
      v2.join(v2only);
      long before = NODE.node().metrics().v1Renders.sum();
      for (int i = 0; i < 10; i++) v2.pushOk(mixed, "msg", "{\"i\":" + i + "}");
      for (int i = 0; i < 10; i++) v2.pushOk(v2only, "msg", "{\"i\":" + i + "}");
      for (V1 c : List.of(a, b)) {
        for (int i = 0; i < 10; i++) {
          JsonNode m = c.expect(f -> "msg".equals(f.get("event").asText()));
          assertEquals(i, m.get("payload").get("i").asInt());
        }
      }
      v2.broadcasts(v2only, 10, WAIT);
      assertEquals(before + 10, NODE.node().metrics().v1Renders.sum(), "10 broadcasts, 2 V1 members, one V2-only room: 10 renderings");
    }
  }

  @Test
  void aV2FrameFromAV1ClientIsBadFrame4002() throws Exception {
    try (V1 v1 = new V1(); PhxClient witness = PhxClient.connect(NODE.port()).withWait(WAIT)) {
      v1.socket.sendText("[null,\"1\",\"phoenix\",\"heartbeat\",{}]");
      PhxClient.Received close = v1.socket.expectClose();
      assertEquals(4002, close.closeCode());
      assertEquals("bad frame: expected a JSON object", close.closeReason());
      witness.assertHeartbeatAnswered();
    }
  }

  @Test
  void presenceAndRecoveryInV1() throws Exception {
    String p = topic("pres");
    String t = topic("room");
    try (V1 v1 = new V1(); PhxClient v2 = PhxClient.connect(NODE.port(), PhxClient.VSN + "&user=bob").withWait(WAIT)) {
      v2.join(p);
      v1.send(p, "phx_join", "{}", "1");
      assertEquals("ok", status(v1.reply("1")));
      JsonNode state = v1.expect(f -> "presence_state".equals(f.get("event").asText()));
      assertTrue(state.get("ref").isNull());
      assertEquals(p, state.get("topic").asText());
      // a diff (one frame for the room, rendered once in V1 for its V1 members) brings at least
      // the client's own join; bob is in the state or (not yet in this node's view) in a diff
      JsonNode diff = v1.expect(f -> "presence_diff".equals(f.get("event").asText()));
      assertTrue(diff.get("payload").has("joins") && diff.get("payload").has("leaves") && diff.get("ref").isNull(), diff.toString());
      if (!state.get("payload").has("bob") && !diff.get("payload").get("joins").has("bob")) {
        v1.expect(f -> "presence_diff".equals(f.get("event").asText()) && f.get("payload").get("joins").has("bob"));
      }

      // recovery: what was published while away is replayed, in V1, after the reply
      v1.send(t, "phx_join", "{}", "2");
      String epoch = v1.reply("2").get("payload").get("response").get("epoch").asText();
      v1.send(t, "phx_leave", "{}", "3");
      v1.reply("3");
      v1.expect(f -> "phx_close".equals(f.get("event").asText()));
      v2.join(t);
      for (int i = 1; i <= 3; i++) v2.pushOk(t, "msg", "{\"i\":" + i + "}");
      v1.send(t, "phx_join", "{\"since\":{\"epoch\":\"" + epoch + "\",\"seq\":0}}", "4");
      JsonNode rejoined = v1.reply("4");
      assertTrue(rejoined.get("payload").get("response").get("recovered").asBoolean(), rejoined.toString());
      for (int i = 1; i <= 3; i++) {
        int n = i;
        JsonNode m = v1.expect(f -> "msg".equals(f.get("event").asText()) && t.equals(f.get("topic").asText()));
        assertEquals("{\"topic\":\"" + t + "\",\"event\":\"msg\",\"payload\":{\"i\":" + n + "},\"ref\":\"" + epoch + ":" + n + "\"}", m.toString());
      }
    }
  }
}
