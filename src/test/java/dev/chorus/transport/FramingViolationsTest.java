package dev.chorus.transport;

import static dev.chorus.testkit.BadInput.assertRoomStillWorks;
import static dev.chorus.testkit.BadInput.awaitCounter;
import static dev.chorus.testkit.BadInput.joined;
import static dev.chorus.testkit.BadInput.room;
import static org.junit.jupiter.api.Assertions.*;

import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * WebSocket framing violations over a real connection (the frame reader and the connection
 * stage): a binary frame that is not a Phoenix binary push closes with 4002, a frame or
 * fragmented message above max-frame-bytes with 1009, an unmasked client frame or one with reserved bits set with 1002. The closing
 * connection never disturbs the room or its witness ({@link dev.chorus.testkit.BadInput}).
 * A node of their own: if the connection stage mishandles them, only this node suffers.
 */
@Timeout(60)
class FramingViolationsTest {
  @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension("chorus.connection.max-frame-bytes = 4 KiB");

  static ChorusNode node() {
    return NODE.node();
  }

  @Test
  void binaryFrameThatIsNotAPhoenixPushClosesWith4002() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = joined(NODE.port(), topic)) {
      long closed = node().metrics().closedBy("bad_frame");

      bad.sendFrame(0x2, new byte[] {1, 2, 3, 4}, true, true); // kind 1, a reply: a client only pushes

      PhxClient.Received close = bad.expectClose();
      assertEquals(4002, close.closeCode(), close.closeReason());
      assertEquals("bad frame: a client may only push (binary kind 0), got kind 1", close.closeReason());
      awaitCounter("closedBy(bad_frame)", () -> node().metrics().closedBy("bad_frame"), closed + 1);

      assertRoomStillWorks(topic, witness);
    }
  }

  @Test
  void frameAboveMaxFrameBytesClosesWith1009() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = joined(NODE.port(), topic)) {
      long closed = node().metrics().closedBy("too_big");

      bad.sendText("[\"1\",\"2\",\"" + topic + "\",\"msg\",{\"b\":\"" + "x".repeat(5000) + "\"}]");

      PhxClient.Received close = bad.expectClose();
      assertEquals(1009, close.closeCode(), close.closeReason());
      awaitCounter("closedBy(too_big)", () -> node().metrics().closedBy("too_big"), closed + 1);

      assertRoomStillWorks(topic, witness);
    }
  }

  @Test
  void fragmentedMessageAboveMaxFrameBytesClosesWith1009() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = joined(NODE.port(), topic)) {
      byte[] part = "x".repeat(3000).getBytes(StandardCharsets.UTF_8);
      bad.sendFrame(0x1, part, false, true); // each fragment is under the limit,
      bad.sendFrame(0x0, part, true, true); // the message is not

      PhxClient.Received close = bad.expectClose();
      assertEquals(1009, close.closeCode(), close.closeReason());

      assertRoomStillWorks(topic, witness);
    }
  }

  @Test
  void unmaskedClientFrameClosesWith1002() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = joined(NODE.port(), topic)) {
      long closed = node().metrics().closedBy("protocol_error");

      bad.sendFrame(0x1, "[null,\"9\",\"phoenix\",\"heartbeat\",{}]".getBytes(StandardCharsets.UTF_8), true, false);

      PhxClient.Received close = bad.expectClose();
      assertEquals(1002, close.closeCode(), close.closeReason());
      awaitCounter("closedBy(protocol_error)", () -> node().metrics().closedBy("protocol_error"), closed + 1);

      assertRoomStillWorks(topic, witness);
    }
  }

  @Test
  void frameWithReservedBitsSetClosesWith1002() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = joined(NODE.port(), topic)) {
      byte[] payload = "[null,\"9\",\"phoenix\",\"heartbeat\",{}]".getBytes(StandardCharsets.UTF_8);
      byte[] frame = new byte[2 + 4 + payload.length];
      frame[0] = (byte) (0x80 | 0x40 | 0x1); // FIN, RSV1 (no extension was negotiated), text
      frame[1] = (byte) (0x80 | payload.length); // masked, with an all-zero mask
      System.arraycopy(payload, 0, frame, 6, payload.length);
      bad.sendRaw(frame);

      PhxClient.Received close = bad.expectClose();
      assertEquals(1002, close.closeCode(), close.closeReason());

      assertRoomStillWorks(topic, witness);
    }
  }
}
