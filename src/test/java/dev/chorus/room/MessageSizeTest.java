package dev.chorus.room;

import static dev.chorus.testkit.BadInput.assertErrorReply;
import static dev.chorus.testkit.BadInput.assertRoomStillWorks;
import static dev.chorus.testkit.BadInput.joined;
import static dev.chorus.testkit.BadInput.room;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A push is bounded as a whole: its event name by the namespace's max-event-bytes (64), and its
 * whole frame (refs, topic, event, payload) by max-message-bytes, not only its payload. Once a
 * 40 000-character event was accepted and broadcast to every member, and kept in history; a
 * push with small payload and huge refs went through too. The room and its witness carry on.
 */
@Timeout(60)
class MessageSizeTest {
  @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension("""
      chorus.namespaces.small { max-message-bytes = 1 KiB }
      """);

  @Test
  void aFortyThousandCharacterEventIsRefusedEventTooLongAndNeverBroadcast() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = joined(NODE.port(), topic)) {
      long refusedBefore = NODE.node().metrics().pushesRefusedBy("event too long");
      bad.send("1", "2", topic, "e".repeat(40_000), "{}");
      assertErrorReply(bad.reply("2"), "event too long");
      // 64 bytes is the bound: 64 one-byte characters pass, 17 four-byte ones (68 bytes) do not
      bad.pushOk(topic, "x".repeat(64), "{}");
      bad.send("1", "3", topic, "\ud83d\ude00".repeat(17), "{}");
      assertErrorReply(bad.reply("3"), "event too long");
      assertEquals(refusedBefore + 2, NODE.node().metrics().pushesRefusedBy("event too long"));
      bad.assertHeartbeatAnswered();
      // the witness got the 64-byte event, and nothing of the refused ones
      assertRoomStillWorks(topic, witness, f -> f.get(3).asText().equals("x".repeat(64)));
    }
  }

  @Test
  void aPushWhoseFrameIsOverMaxMessageBytesIsRefusedThoughItsPayloadFits() throws Exception {
    String topic = room("small"); // max-message-bytes = 1 KiB, for the whole frame
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = joined(NODE.port(), topic)) {
      String payload = "{\"b\":\"" + "p".repeat(900) + "\"}"; // 908 bytes: fits alone
      bad.pushOk(topic, "fits", payload);
      String longRef = "r".repeat(200); // refs and topic count too: 908 + 200 + the rest > 1024
      bad.send("1", longRef, topic, "over", payload);
      JsonNode reply = bad.reply(longRef);
      assertErrorReply(reply, "message too large");
      bad.send("1", "5", topic, "over", "{\"b\":\"" + "p".repeat(1100) + "\"}");
      assertErrorReply(bad.reply("5"), "message too large");
      assertTrue(NODE.node().metrics().pushesRefusedBy("message too large") >= 2);
      assertRoomStillWorks(topic, witness, f -> "fits".equals(f.get(3).asText()));
    }
  }
}
