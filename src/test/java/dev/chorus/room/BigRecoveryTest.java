package dev.chorus.room;

import static dev.chorus.testkit.BadInput.assertRoomStillWorks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.metrics.Metrics;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The full default history (history-size x max-message-bytes: 100 messages of 16 KiB, 1.6 MiB)
 * is larger than a client's outbound queue (1 MiB). Once a recovery of it closed the
 * recovering client as a slow consumer (4000), and phoenix.js rejoined with the same since and
 * looped. Now the replay goes to the queue at the client's pace: every message, in order,
 * recovered: true, no close, even for a client that reads slowly, while the room's live
 * messages reach a witness. The history API answers the same history (read in pages).
 */
@Timeout(120)
class BigRecoveryTest {
  static final ObjectMapper JSON = new ObjectMapper();

  // reference.conf's defaults, but for the API key
  @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension("chorus.api.key = \"backend-key\"");

  /** A payload that makes a push's whole frame just under 16 KiB (max-message-bytes). */
  static String payload(int n) {
    return "{\"n\":" + n + ",\"b\":\"" + "x".repeat(16 * 1024 - 120) + "\"}";
  }

  /** Fills {@code topic}'s history with 100 full-size messages; returns the position before them. */
  static String[] fill(PhxClient publisher, String topic) throws Exception {
    JsonNode joined = publisher.join(topic, "1", "{}");
    String epoch = joined.path("epoch").asText();
    long seq = joined.path("seq").asLong();
    for (int i = 0; i < 100; i++) {
      publisher.pushOk(topic, "big", payload(i));
      publisher.broadcasts(topic, 1, Duration.ofSeconds(10)); // its own copy, so that its queue stays short
    }
    return new String[] {epoch, String.valueOf(seq)};
  }

  @Test
  void aRecoveryLargerThanTheOutboundQueueIsPacedNotClosedAsASlowConsumer() throws Exception {
    Metrics metrics = NODE.node().metrics();
    String topic = "room:big-recovery";
    try (PhxClient publisher = PhxClient.connect(NODE.port()); PhxClient witness = PhxClient.connect(NODE.port())) {
      String[] at = fill(publisher, topic);
      witness.join(topic, "1", "{}");
      long slowBefore = metrics.slowConsumerCloses.sum();
      // A client on a slow link: a small receive buffer, and it reads slowly.
      try (PhxClient recovering = PhxClient.connect("127.0.0.1", NODE.port(), PhxClient.VSN, 16 * 1024)) {
        recovering.sendJoin(topic, "1", "{\"since\":{\"epoch\":\"" + at[0] + "\",\"seq\":" + at[1] + "}}");
        JsonNode reply = recovering.nextReply("1");
        assertTrue(reply.path(4).path("response").path("recovered").asBoolean(), reply.toString());
        // live messages while the replay goes out (not before the join is answered: one more
        // message would push the first of the 100 out of the history): they follow the replay
        for (int i = 100; i < 110; i++) publisher.push(topic, "live", "{\"n\":" + i + "}");
        long first = Long.parseLong(at[1]) + 1;
        for (int i = 0; i < 110; i++) {
          JsonNode f = recovering.next(Duration.ofSeconds(20));
          assertEquals(at[0] + ":" + (first + i), f.path(1).asText(), "every message once, in order");
          assertEquals(i, f.path(4).path("n").asInt());
          if (i % 10 == 0) Thread.sleep(20); // paces the client: it reads slowly
        }
        recovering.assertHeartbeatAnswered(); // still open
      }
      assertEquals(slowBefore, metrics.slowConsumerCloses.sum(), "nobody was closed as a slow consumer");
      assertEquals(0, NODE.node().metrics().replayBytesHeld.get(), "nothing is left held for the replay");
      // the witness got the live messages as they came
      List<JsonNode> live = witness.broadcasts(topic, 10, Duration.ofSeconds(10));
      assertEquals(100, live.get(0).path(4).path("n").asInt());
      assertRoomStillWorks(topic, witness, f -> false);
    }
  }

  @Test
  void theHistoryApiAnswersTheFullDefaultHistory() throws Exception {
    String topic = "room:big-history";
    try (PhxClient publisher = PhxClient.connect(NODE.port())) {
      String[] at = fill(publisher, topic);
      HttpRequest request = HttpRequest.newBuilder(NODE.node().managementUri().resolve("/api/history/" + topic + "?since=" + at[1]))
          .header("Authorization", "Bearer backend-key").GET().build();
      HttpResponse<String> r = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body().length() > 300 ? r.body().substring(0, 300) : r.body());
      JsonNode history = JSON.readTree(r.body());
      assertEquals(at[0], history.path("epoch").asText());
      JsonNode messages = history.path("messages");
      assertEquals(100, messages.size());
      for (int i = 0; i < 100; i++) assertEquals(i, messages.path(i).path("payload").path("n").asInt());
    }
  }
}
