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
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A connection's inbound rate (chorus.connection inbound-rate, inbound-burst, flood-tolerance;
 * enforced by WebSocketConnection before a frame reaches the session): frames over it get
 * "rate limited" replies, and too many violations close the connection with 4003, while the
 * room and its witness carry on ({@link dev.chorus.testkit.BadInput}).
 */
@Timeout(60)
class InboundRateLimitTest {
  @RegisterExtension static final TestNodeExtension NODE =
      new TestNodeExtension("chorus.connection { inbound-rate = 5, inbound-burst = 10, flood-tolerance = 10 }");

  static ChorusNode node() {
    return NODE.node();
  }

  @Test
  void heartbeatFloodAboveTheConnectionRateGetsRateLimitedThenCloses4003() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = connect(NODE.port())) {
      long rateLimited = node().metrics().rateLimited.sum();

      int beats = 60;
      for (int i = 0; i < beats; i++) bad.sendText("[null,\"h" + i + "\",\"phoenix\",\"heartbeat\",{}]");
      PhxClient.Received close = bad.expectClose();
      assertEquals(4003, close.closeCode(), close.closeReason());

      int ok = 0, limited = 0;
      for (JsonNode f : bad.buffered()) {
        assertTrue(isReply(f), "only replies expected: " + f);
        assertEquals("phoenix", f.get(2).asText());
        String status = status(f);
        if ("ok".equals(status)) ok++;
        else if ("error".equals(status) && "rate limited".equals(reason(f))) limited++;
        else fail("unexpected reply " + f);
      }
      // ok answers go through the session actor and may be overtaken by the close; the
      // rate-limit answers are queued directly, before it.
      assertTrue(limited >= 1, "rate limited replies before the close: " + limited);
      assertTrue(ok + limited < beats, "closed before every heartbeat was answered: " + (ok + limited));
      long minLimited = rateLimited + limited + 1; // the violation that closed got no reply
      awaitCounter("rateLimited", () -> node().metrics().rateLimited.sum(), minLimited);
      awaitCounter("closedBy(rate_limited)", () -> node().metrics().closedBy("rate_limited"), 1);

      assertRoomStillWorks(topic, witness);
    }
  }

  /** Binary pushes count against the same rate; one over it is answered by its ref like a text frame. */
  @Test
  void binaryPushFloodAboveTheConnectionRateGetsRateLimitedThenCloses4003() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = joined(NODE.port(), topic)) {
      int pushes = 60;
      for (int i = 0; i < pushes; i++) bad.sendBinaryPush("1", "b" + i, topic, "file", new byte[] {(byte) i});
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
  void pingFloodAboveTheConnectionRateGoesUnansweredThenCloses4003() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = connect(NODE.port())) {
      long rateLimited = node().metrics().rateLimited.sum();
      long closed = node().metrics().closedBy("rate_limited");

      int pings = 60;
      for (int i = 0; i < pings; i++) bad.sendFrame(0x9, ("p" + i).getBytes(StandardCharsets.UTF_8), true, true);
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
      // The burst (10) and what the rate (5/s) refills meanwhile are answered, the rest are not;
      // the 11th ping over the rate closes.
      assertTrue(pongs >= 1 && pongs < pings - 10, "pongs before the close: " + pongs);
      awaitCounter("rateLimited", () -> node().metrics().rateLimited.sum(), rateLimited + 11);
      awaitCounter("closedBy(rate_limited)", () -> node().metrics().closedBy("rate_limited"), closed + 1);

      assertRoomStillWorks(topic, witness);
    }
  }
}
