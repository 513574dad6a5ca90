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
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A namespace's limits on a member's pushes, enforced by its Channel: a push above
 * max-message-bytes gets "message too large"; pushes above publish-rate (after publish-burst)
 * get "rate limited", and a flood of those that lasts flood-duration closes the connection with
 * 4003, while a burst alone, or many bursts with pauses between them, never does. These strict
 * limits are configured here: the defaults let far more through (BurstTest).
 * The room and its witness carry on ({@link dev.chorus.testkit.BadInput}).
 */
@Timeout(60)
class PushLimitsTest {
  @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension("""
      chorus.connection.max-frame-bytes = 4 KiB
      chorus.namespaces.small { max-message-bytes = 1 KiB }
      chorus.namespaces.flood { publish-rate = 5, publish-burst = 5, flood-duration = 1 s, flood-pause = 500 ms }
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

  /** Pushes {@code n} floods to {@code topic} at once, refs f{from}..; no waiting. */
  static void burst(PhxClient c, String topic, int from, int n) throws IOException {
    for (int i = from; i < from + n; i++) c.sendText("[\"1\",\"f" + i + "\",\"" + topic + "\",\"flood\",{\"i\":" + i + "}]");
  }

  /** Reads the replies to refs f{from}..f{from+n-1}: [ok, rate limited]; anything else fails. */
  static int[] replies(PhxClient c, int from, int n) throws IOException {
    int ok = 0, limited = 0;
    for (int i = from; i < from + n; i++) {
      JsonNode r = c.reply("f" + i);
      if ("ok".equals(status(r))) ok++;
      else if ("rate limited".equals(reason(r))) limited++;
      else fail("unexpected reply " + r);
    }
    return new int[] {ok, limited};
  }

  @Test
  void aBurstFarOverTheRateIsRateLimitedButOnlyASustainedFloodCloses4003() throws Exception {
    String topic = room("flood"); // publish-rate 5/s, burst 5, flood-duration 1 s, flood-pause 500 ms
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = joined(NODE.port(), topic)) {
      long closed = node().metrics().closedBy("rate_limited");
      long start = System.nanoTime();
      // A burst of 60, far over the burst of 5: the excess is refused, nothing is closed.
      burst(bad, topic, 0, 60);
      int[] first = replies(bad, 0, 60);
      assertTrue(first[0] >= 5 && first[1] >= 50, "the burst passes, the rest is rate limited: " + first[0] + " ok, " + first[1] + " limited");
      bad.assertHeartbeatAnswered();

      // Going on over the rate (20/s, each push well within flood-pause of the previous) for
      // 2.5 s: once the flood has lasted flood-duration, the connection is closed.
      for (int i = 60; i < 110; i++) {
        burst(bad, topic, i, 1);
        Thread.sleep(50); // the client's pace: 20 pushes/s, four times the rate
      }
      PhxClient.Received close = bad.expectClose();
      assertEquals(4003, close.closeCode(), close.closeReason());
      assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(1)) >= 0,
          "closed only once the flood lasted flood-duration");
      awaitCounter("closedBy(rate_limited)", () -> node().metrics().closedBy("rate_limited"), closed + 1);

      // The accepted pushes reached the witness, the room carries on.
      List<JsonNode> before = assertRoomStillWorks(topic, witness, f -> "flood".equals(f.get(3).asText()));
      assertTrue(before.size() >= first[0], "flood broadcasts at the witness: " + before.size());
    }
  }

  /**
   * Violations decay: bursts over the rate separated by pauses longer than flood-pause, far
   * more violations in total than any count would tolerate, and the connection is never closed.
   */
  @Test
  void aClientThatBurstsAndPausesAgainAndAgainIsNeverClosed() throws Exception {
    String topic = room("flood");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bursty = joined(NODE.port(), topic)) {
      long closed = node().metrics().closedBy("rate_limited");
      int limited = 0;
      for (int round = 0; round < 6; round++) {
        burst(bursty, topic, round * 30, 30);
        limited += replies(bursty, round * 30, 30)[1];
        Thread.sleep(800); // the pause between bursts: longer than flood-pause (500 ms), which ends the flood
      }
      assertTrue(limited >= 6 * 20, "every burst went over the rate: " + limited + " rate limited");
      bursty.assertHeartbeatAnswered();
      bursty.pushOk(topic, "still", "{}");
      assertEquals(closed, node().metrics().closedBy("rate_limited"), "nobody closed for rate");
      assertRoomStillWorks(topic, witness, f -> "flood".equals(f.get(3).asText()) || "still".equals(f.get(3).asText()));
    }
  }
}
