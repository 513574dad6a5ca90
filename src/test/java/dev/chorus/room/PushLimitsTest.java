package dev.chorus.room;

import static dev.chorus.testkit.BadInput.assertErrorReply;
import static dev.chorus.testkit.BadInput.assertRoomStillWorks;
import static dev.chorus.testkit.BadInput.awaitCounter;
import static dev.chorus.testkit.BadInput.joined;
import static dev.chorus.testkit.BadInput.room;
import static dev.chorus.testkit.PhxClient.isReply;
import static dev.chorus.testkit.PhxClient.reason;
import static dev.chorus.testkit.PhxClient.status;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A namespace's limits on a member's pushes, enforced by its Channel: a push above
 * max-message-bytes gets "message too large"; pushes above publish-rate (after publish-burst)
 * get "rate limited", and more than flood-tolerance of those close the connection with 4003.
 * The room and its witness carry on ({@link dev.chorus.testkit.BadInput}).
 */
@Timeout(60)
class PushLimitsTest {
  @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension("""
      chorus.connection.max-frame-bytes = 4 KiB
      chorus.namespaces.small { max-message-bytes = 1 KiB }
      chorus.namespaces.flood { publish-rate = 5, publish-burst = 5, flood-tolerance = 20 }
      """);

  static ChorusNode node() {
    return NODE.node();
  }

  @Test
  void pushAboveTheNamespaceMessageLimitGetsMessageTooLarge() throws Exception {
    String topic = room("small"); // max-message-bytes = 1 KiB, frame limit 4 KiB
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = joined(NODE.port(), topic)) {
      bad.sendText("[\"1\",\"2\",\"" + topic + "\",\"msg\",{\"b\":\"" + "x".repeat(2000) + "\"}]");
      JsonNode reply = bad.reply("2");
      assertErrorReply(reply, "message too large");
      assertEquals("1", reply.get(0).asText());
      bad.assertHeartbeatAnswered();
      // A push within the limit from the same connection still goes through.
      bad.pushOk(topic, "fits", "{\"b\":\"" + "y".repeat(500) + "\"}");

      assertRoomStillWorks(topic, witness, f -> "fits".equals(f.get(3).asText()));
    }
  }

  @Test
  void pushFloodAboveTheNamespaceRateGetsRateLimitedThenCloses4003() throws Exception {
    String topic = room("flood"); // publish-rate 5/s, burst 5, flood-tolerance 20
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = joined(NODE.port(), topic)) {
      long rateLimited = node().metrics().rateLimited.sum();
      long closed = node().metrics().closedBy("rate_limited");

      int pushes = 60;
      for (int i = 0; i < pushes; i++) {
        bad.sendText("[\"1\",\"f" + i + "\",\"" + topic + "\",\"flood\",{\"i\":" + i + "}]");
      }
      PhxClient.Received close = bad.expectClose();
      assertEquals(4003, close.closeCode(), close.closeReason());

      int ok = 0, limited = 0;
      for (JsonNode f : bad.buffered()) {
        if (!isReply(f)) continue;
        String status = status(f);
        if ("ok".equals(status)) ok++;
        else if ("error".equals(status) && "rate limited".equals(reason(f))) limited++;
        else fail("unexpected reply " + f);
      }
      // ok replies travel through the room entity and may be overtaken by the close; the
      // rate-limit replies are queued before it, and the 21st violation is the one that closes.
      assertTrue(limited >= 21, "flood-tolerance 20 allows 20 violations, the 21st closes: " + limited);
      assertTrue(ok + limited < pushes, "closed before every push was answered");
      long minLimited = rateLimited + limited;
      awaitCounter("rateLimited", () -> node().metrics().rateLimited.sum(), minLimited);
      awaitCounter("closedBy(rate_limited)", () -> node().metrics().closedBy("rate_limited"), closed + 1);

      // The accepted pushes (the burst of 5, perhaps one more refilled) reached the witness.
      List<JsonNode> before = assertRoomStillWorks(topic, witness, f -> "flood".equals(f.get(3).asText()));
      assertTrue(before.size() >= 5 && before.size() < pushes - 20, "flood broadcasts at the witness: " + before.size());
      assertTrue(ok <= before.size(), "no ok reply without a broadcast");
    }
  }
}
