package dev.chorus.session;

import static dev.chorus.testkit.BadInput.assertErrorReply;
import static dev.chorus.testkit.BadInput.assertRoomStillWorks;
import static dev.chorus.testkit.BadInput.awaitCounter;
import static dev.chorus.testkit.BadInput.joined;
import static dev.chorus.testkit.BadInput.room;
import static dev.chorus.testkit.PhxClient.reason;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Text frames that are not well-formed Phoenix frames (docs/protocol.md "Errors"): without a
 * readable ref the session closes with 4002; with one it gets an error reply and stays open.
 * Either way the room and its witness carry on ({@link dev.chorus.testkit.BadInput}).
 */
@Timeout(60)
class BadFrameTest {
  @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension();

  static ChorusNode node() {
    return NODE.node();
  }

  // ---------------------------------------------------------------------------------------
  // Not a Phoenix frame and no ref to answer: close 4002
  // ---------------------------------------------------------------------------------------

  @Test
  void textThatIsNotJsonClosesWith4002() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = joined(NODE.port(), topic)) {
      long badFrames = node().metrics().badFrames.sum();
      long closed = node().metrics().closedBy("bad_frame");

      bad.sendText("hello, this is not json");

      PhxClient.Received close = bad.expectClose();
      assertEquals(4002, close.closeCode());
      assertTrue(close.closeReason().startsWith("bad frame"), close.closeReason());
      awaitCounter("badFrames", () -> node().metrics().badFrames.sum(), badFrames + 1);
      awaitCounter("closedBy(bad_frame)", () -> node().metrics().closedBy("bad_frame"), closed + 1);

      assertRoomStillWorks(topic, witness);
    }
  }

  @ParameterizedTest(name = "[{index}] <{0}>")
  @ValueSource(strings = {
      "{\"join_ref\":\"1\",\"ref\":\"2\",\"topic\":\"room:x\",\"event\":\"msg\",\"payload\":{}}",
      "[null,null,\"room:x\",\"msg\"]",
      "[null,null,\"room:x\",\"msg\",{},\"sixth\"]",
      "[1,\"2\",\"room:x\",\"msg\",{}]", // join_ref of the wrong type: the ref is never reached
      "[null,null,\"room:x\",\"msg\",{}] trailing",
      ""
  })
  void jsonThatIsNotAFiveElementArrayWithoutARefClosesWith4002(String text) throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = joined(NODE.port(), topic)) {
      long badFrames = node().metrics().badFrames.sum();

      bad.sendText(text);

      PhxClient.Received close = bad.expectClose();
      assertEquals(4002, close.closeCode(), close.closeReason());
      assertTrue(close.closeReason().startsWith("bad frame"), close.closeReason());
      awaitCounter("badFrames", () -> node().metrics().badFrames.sum(), badFrames + 1);

      assertRoomStillWorks(topic, witness);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Bad shape with a readable ref: an error reply, and the connection stays open
  // ---------------------------------------------------------------------------------------

  @Test
  void wrongElementTypesWithARefGetAnErrorReplyAndTheConnectionStaysOpen() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = joined(NODE.port(), topic)) {
      long badFrames = node().metrics().badFrames.sum();

      bad.sendText("[\"1\",\"5\",42,\"msg\",{}]");
      JsonNode reply = bad.reply("5");
      assertErrorReply(reply, null);
      assertTrue(reason(reply).contains("topic"), "reason names the topic: " + reason(reply));

      bad.sendText("[\"1\",\"6\",\"" + topic + "\",7,{}]");
      JsonNode reply2 = bad.reply("6");
      assertErrorReply(reply2, null);
      assertTrue(reason(reply2).contains("event"), "reason names the event: " + reason(reply2));
      assertEquals(topic, reply2.get(2).asText(), "the topic was readable, so the reply carries it");

      bad.sendText("[\"1\",\"7\",\"" + topic + "\",\"msg\",{}, 6]");
      JsonNode reply3 = bad.reply("7");
      assertErrorReply(reply3, null);
      assertTrue(reason(reply3).contains("5 elements"), reason(reply3));

      awaitCounter("badFrames", () -> node().metrics().badFrames.sum(), badFrames + 3);
      bad.assertHeartbeatAnswered();
      // Still a member: its own push is accepted and broadcast.
      bad.pushOk(topic, "after", "{\"still\":\"here\"}");

      assertRoomStillWorks(topic, witness, f -> "after".equals(f.get(3).asText()));
    }
  }

  @Test
  void payloadThatIsNotAnObjectGetsAnErrorReply() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = joined(NODE.port(), topic)) {
      long badFrames = node().metrics().badFrames.sum();

      String[] payloads = {"[1,2]", "\"text\"", "42", "null"};
      for (int i = 0; i < payloads.length; i++) {
        String ref = "p" + i;
        bad.sendText("[\"1\",\"" + ref + "\",\"" + topic + "\",\"msg\"," + payloads[i] + "]");
        JsonNode reply = bad.reply(ref);
        assertErrorReply(reply, null);
        assertTrue(reason(reply).contains("payload"), payloads[i] + " -> " + reason(reply));
        assertEquals(topic, reply.get(2).asText());
        assertEquals("1", reply.get(0).asText(), "the join_ref is echoed");
      }
      awaitCounter("badFrames", () -> node().metrics().badFrames.sum(), badFrames + payloads.length);
      bad.assertHeartbeatAnswered();

      assertRoomStillWorks(topic, witness); // strict: none of the bad pushes was broadcast
    }
  }
}
