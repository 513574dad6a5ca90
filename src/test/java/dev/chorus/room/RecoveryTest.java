package dev.chorus.room;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every broadcast carries its position ("epoch:seq" in the ref slot); a rejoin with
 * {"since": {"epoch", "seq"}} gets exactly what it missed, in order, then live messages.
 */
class RecoveryTest {
  static ChorusNode node;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start("""
        chorus.namespace-defaults { history-size = 1000, publish-rate = 100000, publish-burst = 100000 }
        chorus.connection { inbound-rate = 100000, inbound-burst = 100000 }
        chorus.namespaces.short { history-size = 10 }
        """);
    port = node.httpAddress().getPort();
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  /** Joins with {@code payload}; the next frame is the reply: returns its status and response. */
  static JsonNode join(PhxClient s, String topic, String payload) throws IOException {
    s.sendJoin(topic, "1", payload);
    return s.nextReply("1").path(4);
  }

  /** The next broadcast's seq (its ref is "epoch:seq"), skipping replies. */
  static long nextSeq(PhxClient s, String epoch) throws IOException {
    JsonNode f = s.skipTo("a broadcast", PhxClient::isBroadcast);
    String[] position = f.path(1).asText().split(":");
    assertEquals(epoch, position[0]);
    return Long.parseLong(position[1]);
  }

  static void publish(PhxClient publisher, String topic, int n) throws IOException {
    for (int i = 0; i < n; i++) publisher.sendText("[\"1\",\"" + (i + 2) + "\",\"" + topic + "\",\"msg\",{\"i\":" + i + "}]");
  }

  @Test
  void aClientThatDroppedMidStreamGetsExactlyWhatItMissedThenLiveMessages() throws Exception {
    String topic = "room:recover";
    try (PhxClient publisher = PhxClient.connect(port)) {
      String epoch;
      long last;
      try (PhxClient first = PhxClient.connect(port)) {
        JsonNode response = join(first, topic, "{}").path("response");
        epoch = response.path("epoch").asText();
        assertEquals(0, response.path("seq").asLong());
        assertFalse(response.has("recovered"), "a fresh join is not a recovery");
        join(publisher, topic, "{}");
        // 500 messages are published while the client reads some of them and drops
        CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
          try {
            publish(publisher, topic, 500);
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        });
        last = 0;
        for (int i = 0; i < 120; i++) {
          long seq = nextSeq(first, epoch);
          assertEquals(last + 1, seq, "live messages in order");
          last = seq;
        }
        publishing.get();
      } // the client drops here, having seen seq 1..120

      try (PhxClient again = PhxClient.connect(port)) {
        JsonNode response = join(again, topic, "{\"since\":{\"epoch\":\"" + epoch + "\",\"seq\":" + last + "}}").path("response");
        assertTrue(response.path("recovered").asBoolean(), response.toString());
        assertTrue(response.path("seq").asLong() >= last, "the room stands at or after the client's position: " + response);
        publish(publisher, topic, 20); // live ones after the replay
        List<Long> got = new ArrayList<>();
        while (got.size() < 520 - last) got.add(nextSeq(again, epoch));
        for (int i = 0; i < got.size(); i++) assertEquals(last + 1 + i, got.get(i), "no gap, no duplicate: " + got);
      }
    }
  }

  @Test
  void recoveryThatCannotBeCompleteSaysSo() throws Exception {
    try (PhxClient publisher = PhxClient.connect(port); PhxClient late = PhxClient.connect(port)) {
      String topic = "short:history";
      String epoch = join(publisher, topic, "{}").path("response").path("epoch").asText();
      publish(publisher, topic, 50);
      for (int i = 0; i < 50; i++) nextSeq(publisher, epoch);

      JsonNode tooOld = join(late, topic, "{\"since\":{\"epoch\":\"" + epoch + "\",\"seq\":5}}").path("response");
      assertFalse(tooOld.path("recovered").asBoolean(true), "history keeps 10: seq 6..40 are gone");
      assertEquals(50, tooOld.path("seq").asLong());
      late.sendText("[\"1\",\"9\",\"" + topic + "\",\"phx_leave\",{}]");
      late.next();
      late.next();

      JsonNode otherEpoch = join(late, topic, "{\"since\":{\"epoch\":\"zzz\",\"seq\":49}}").path("response");
      assertFalse(otherEpoch.path("recovered").asBoolean(true), "another epoch: the room restarted since");
      late.sendText("[\"1\",\"9\",\"" + topic + "\",\"phx_leave\",{}]");
      late.next();
      late.next();

      JsonNode recent = join(late, topic, "{\"since\":{\"epoch\":\"" + epoch + "\",\"seq\":45}}").path("response");
      assertTrue(recent.path("recovered").asBoolean(), "seq 46..50 are still kept");
      for (long seq = 46; seq <= 50; seq++) assertEquals(seq, nextSeq(late, epoch));
    }
  }

  @Test
  void aMalformedSinceIsRefused() throws Exception {
    try (PhxClient s = PhxClient.connect(port)) {
      for (String since : new String[] {"\"x\"", "{\"epoch\":1,\"seq\":1}", "{\"epoch\":\"e\"}", "{\"epoch\":\"e\",\"seq\":-1}"}) {
        JsonNode reply = join(s, "room:bad-since", "{\"since\":" + since + "}");
        assertEquals("error", reply.path("status").asText(), since);
        assertEquals("invalid since", reply.path("response").path("reason").asText());
      }
    }
  }
}
