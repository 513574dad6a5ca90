package dev.chorus.transport;

import static dev.chorus.testkit.BadInput.assertRoomStillWorks;
import static dev.chorus.testkit.BadInput.awaitCounter;
import static dev.chorus.testkit.BadInput.connect;
import static dev.chorus.testkit.BadInput.joined;
import static dev.chorus.testkit.BadInput.room;
import static dev.chorus.testkit.PhxClient.isReply;
import static dev.chorus.testkit.PhxClient.reason;
import static dev.chorus.testkit.PhxClient.status;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.BadInput;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A connection's inbound rate (chorus.connection inbound-rate, inbound-burst, flood-duration,
 * flood-pause, configured strict here; enforced by WebSocketConnection before a frame reaches
 * the session): frames over it get "rate limited" replies; only a flood that lasts
 * flood-duration closes the connection with 4003, never a burst or bursts with pauses, while the
 * room and its witness carry on ({@link dev.chorus.testkit.BadInput}).
 */
@Timeout(60)
class InboundRateLimitTest {
  @RegisterExtension static final TestNodeExtension NODE =
      new TestNodeExtension("chorus.connection { inbound-rate = 5, inbound-burst = 10, flood-duration = 1 s, flood-pause = 500 ms }");

  static ChorusNode node() {
    return NODE.node();
  }

  /** Sends heartbeats h{from}..h{from+n-1} at once. */
  static void heartbeats(PhxClient c, int from, int n) throws IOException {
    for (int i = from; i < from + n; i++) c.sendText("[null,\"h" + i + "\",\"phoenix\",\"heartbeat\",{}]");
  }

  /** Reads the replies to h{from}..: [ok, rate limited]; anything else fails. */
  static int[] replies(PhxClient c, int from, int n) throws IOException {
    int ok = 0, limited = 0;
    for (int i = from; i < from + n; i++) {
      JsonNode f = c.reply("h" + i);
      assertEquals("phoenix", f.get(2).asText());
      if ("ok".equals(status(f))) ok++;
      else if ("rate limited".equals(reason(f))) limited++;
      else fail("unexpected reply " + f);
    }
    return new int[] {ok, limited};
  }

  @Test
  void aHeartbeatBurstIsRateLimitedAndOnlyASustainedFloodCloses4003() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = connect(NODE.port())) {
      long rateLimited = node().metrics().rateLimited.sum();
      long closed = node().metrics().closedBy("rate_limited");
      long start = System.nanoTime();
      heartbeats(bad, 0, 60); // far over the burst of 10: the excess is answered "rate limited", not closed
      int[] first = replies(bad, 0, 60);
      assertTrue(first[0] >= 10 && first[1] >= 40, first[0] + " ok, " + first[1] + " rate limited");
      awaitCounter("rateLimited", () -> node().metrics().rateLimited.sum(), rateLimited + first[1]);

      for (int i = 60; i < 110; i++) { // 20/s for 2.5 s, four times the rate, without a pause
        heartbeats(bad, i, 1);
        Thread.sleep(50); // the client's pace
      }
      PhxClient.Received close = bad.expectClose();
      assertEquals(4003, close.closeCode(), close.closeReason());
      assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(1)) >= 0,
          "closed only once the flood lasted flood-duration");
      for (JsonNode f : bad.buffered()) assertTrue(isReply(f), "only replies expected: " + f);
      awaitCounter("closedBy(rate_limited)", () -> node().metrics().closedBy("rate_limited"), closed + 1);

      assertRoomStillWorks(topic, witness);
    }
  }

  /**
   * Binary pushes count against the same rate; one over it is answered by its ref like a text
   * frame, and a sustained binary flood is closed like a text one.
   */
  @Test
  void binaryPushFloodAboveTheConnectionRateGetsRateLimitedThenCloses4003() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = joined(NODE.port(), topic)) {
      for (int i = 0; i < 60; i++) bad.sendBinaryPush("1", "b" + i, topic, "file", new byte[] {(byte) i}); // a burst
      for (int i = 60; i < 110; i++) { // then 20/s for 2.5 s, four times the rate, without a pause
        bad.sendBinaryPush("1", "b" + i, topic, "file", new byte[] {(byte) i});
        Thread.sleep(50); // the client's pace
      }
      PhxClient.Received close = bad.expectClose();
      assertEquals(4003, close.closeCode(), close.closeReason());
      int limited = 0;
      for (JsonNode f : bad.buffered()) {
        if (isReply(f) && "error".equals(status(f))) {
          assertEquals("rate limited", reason(f), f.toString());
          assertTrue(f.get(1).asText().startsWith("b"), "answered by the binary push's ref: " + f);
          assertEquals(topic, f.get(2).asText());
          limited++;
        }
      }
      assertTrue(limited >= 1, "rate limited replies before the close: " + bad.buffered());
      // the pushes within the rate were broadcast, as binary messages
      assertRoomStillWorks(topic, witness, f -> PhxClient.binaryPayload(f) != null && "file".equals(f.get(3).asText()));
    }
  }

  @Test
  void aPingFloodGoesUnansweredOverTheRateThenCloses4003() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = connect(NODE.port())) {
      long rateLimited = node().metrics().rateLimited.sum();
      long closed = node().metrics().closedBy("rate_limited");

      int pings = 60; // 20/s for 3 s, four times the rate
      for (int i = 0; i < pings; i++) {
        bad.sendFrame(0x9, ("p" + i).getBytes(StandardCharsets.UTF_8), true, true);
        Thread.sleep(50); // the client's pace
      }
      int pongs = 0, last = -1;
      PhxClient.Received r;
      while (!(r = bad.receive(BadInput.WAIT)).isClose()) {
        assertEquals(0xA, r.opcode(), "only pongs before the close");
        int answered = Integer.parseInt(r.text().substring(1));
        assertTrue(answered > last, "a pong carries its ping's payload, in order: " + r.text());
        last = answered;
        pongs++;
      }
      assertEquals(4003, r.closeCode(), r.closeReason());
      // The burst (10) and what the rate (5/s) refills meanwhile are answered, the rest are not.
      assertTrue(pongs >= 10 && pongs < pings - 10, "pongs before the close: " + pongs);
      awaitCounter("rateLimited", () -> node().metrics().rateLimited.sum(), rateLimited + 10);
      awaitCounter("closedBy(rate_limited)", () -> node().metrics().closedBy("rate_limited"), closed + 1);

      assertRoomStillWorks(topic, witness);
    }
  }

  /** Violations decay: bursts over the rate with pauses longer than flood-pause never close. */
  @Test
  void burstsWithPausesAreNeverClosed() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bursty = connect(NODE.port())) {
      long closed = node().metrics().closedBy("rate_limited");
      int limited = 0;
      for (int round = 0; round < 6; round++) {
        heartbeats(bursty, round * 30, 30);
        limited += replies(bursty, round * 30, 30)[1];
        Thread.sleep(800); // longer than flood-pause (500 ms): the flood ends
      }
      assertTrue(limited >= 6 * 15, "every burst went over the rate: " + limited);
      bursty.assertHeartbeatAnswered();
      assertEquals(closed, node().metrics().closedBy("rate_limited"), "nobody closed for rate");
      assertRoomStillWorks(topic, witness);
    }
  }
}
