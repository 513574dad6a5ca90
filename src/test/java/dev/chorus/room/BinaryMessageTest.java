package dev.chorus.room;

import static dev.chorus.testkit.BadInput.assertErrorReply;
import static dev.chorus.testkit.BadInput.assertRoomStillWorks;
import static dev.chorus.testkit.BadInput.awaitCounter;
import static dev.chorus.testkit.BadInput.joined;
import static dev.chorus.testkit.BadInput.room;
import static dev.chorus.testkit.PhxClient.binaryPayload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Phoenix V2 binary messages over real sockets (docs/protocol.md §1a): a binary push is
 * answered and broadcast to every member as a binary broadcast with the same bytes, in the
 * room's one order with JSON messages; recovery replays it; malformed ones get the bad-frame
 * handling of text frames; the namespace's limits count a binary push's bytes. A witness keeps
 * receiving through every bad or oversize input.
 */
@Timeout(60)
class BinaryMessageTest {
  @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension("""
      chorus.namespaces.small { max-message-bytes = 1 KiB }
      chorus.namespaces.quiet { client-publish = off }
      """);

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }

  private static JsonNode binaryBroadcast(PhxClient c, String event) throws Exception {
    return c.expect("the binary broadcast " + event, x -> binaryPayload(x) != null && event.equals(x.get(3).asText()));
  }

  @Test
  void aBinaryPushIsAnsweredAndBroadcastToEveryMemberWithTheSameBytes() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient pusher = joined(NODE.port(), topic)) {
      byte[] bytes = random(3000);
      long publishes = NODE.node().metrics().publishes.sum();
      String ref = pusher.pushBinary(topic, "file", bytes);
      JsonNode reply = pusher.reply(ref);
      assertEquals("ok", PhxClient.status(reply), reply.toString());
      assertEquals("1", reply.get(0).asText(), "the reply names the join");
      for (PhxClient c : List.of(witness, pusher)) {
        JsonNode f = binaryBroadcast(c, "file");
        assertEquals(topic, f.get(2).asText());
        assertArrayEquals(bytes, binaryPayload(f));
      }
      awaitCounter("publishes", () -> NODE.node().metrics().publishes.sum(), publishes + 1);
      // The binary broadcast has no ref slot, so no position; the join reply's seq counts it.
      try (PhxClient late = PhxClient.connect(NODE.port()).withWait(Duration.ofSeconds(5))) {
        assertEquals(1, late.join(topic).path("seq").asLong());
      }
      assertRoomStillWorks(topic, witness);
    }
  }

  @Test
  void binaryAndJsonPushesArriveInTheRoomsOneOrder() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient pusher = joined(NODE.port(), topic)) {
      int n = 40;
      for (int i = 0; i < n; i++) {
        if (i % 2 == 0) pusher.pushBinary(topic, "b", new byte[] {(byte) i, 0, (byte) 0xFF});
        else pusher.push(topic, "j", "{\"i\":" + i + "}");
      }
      for (PhxClient c : List.of(witness, pusher)) {
        List<JsonNode> got = c.broadcasts(topic, n, Duration.ofSeconds(10));
        for (int i = 0; i < n; i++) {
          JsonNode f = got.get(i);
          if (i % 2 == 0) {
            assertArrayEquals(new byte[] {(byte) i, 0, (byte) 0xFF}, binaryPayload(f), "message " + i + ": " + f);
          } else {
            assertEquals(i, f.get(4).path("i").asInt(), "message " + i + ": " + f);
            assertTrue(f.get(1).asText().contains(":"), "a JSON broadcast carries its position: " + f);
          }
        }
      }
    }
  }

  @Test
  void aBinaryPushWithoutARefIsBroadcastAndNotAnswered() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient pusher = joined(NODE.port(), topic)) {
      pusher.sendBinaryPush("1", null, topic, "noref", new byte[] {42});
      assertArrayEquals(new byte[] {42}, binaryPayload(binaryBroadcast(witness, "noref")));
      assertArrayEquals(new byte[] {42}, binaryPayload(binaryBroadcast(pusher, "noref")));
      pusher.assertHeartbeatAnswered();
      assertEquals(0, pusher.count(PhxClient::isReply), "no reply to a push without a ref: " + pusher.buffered());
    }
  }

  @Test
  void recoveryReplaysBinaryMessagesInOrder() throws Exception {
    String topic = room("room");
    try (PhxClient pusher = joined(NODE.port(), topic)) {
      JsonNode at;
      try (PhxClient first = PhxClient.connect(NODE.port()).withWait(Duration.ofSeconds(5))) {
        at = first.join(topic, "1", "{}");
      }
      pusher.pushOk(topic, "j", "{\"i\":1}");
      pusher.reply(pusher.pushBinary(topic, "b", new byte[] {2, 2}));
      pusher.pushOk(topic, "j", "{\"i\":3}");
      pusher.reply(pusher.pushBinary(topic, "b", new byte[] {4}));
      try (PhxClient back = PhxClient.connect(NODE.port()).withWait(Duration.ofSeconds(5))) {
        String since = "{\"since\":{\"epoch\":\"" + at.path("epoch").asText() + "\",\"seq\":" + at.path("seq").asLong() + "}}";
        back.sendJoin(topic, "1", since);
        JsonNode reply = back.nextReply("1");
        assertTrue(reply.get(4).path("response").path("recovered").asBoolean(), reply.toString());
        assertEquals(at.path("seq").asLong() + 4, reply.get(4).path("response").path("seq").asLong());
        // Replayed in order, right after the reply, as the same frames: JSON and binary.
        assertEquals(1, back.next().get(4).path("i").asInt());
        assertArrayEquals(new byte[] {2, 2}, binaryPayload(back.next()));
        assertEquals(3, back.next().get(4).path("i").asInt());
        assertArrayEquals(new byte[] {4}, binaryPayload(back.next()));
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Malformed binary messages: the bad-frame handling of text frames
  // ---------------------------------------------------------------------------------------

  @Test
  void malformedBinaryWithoutAReadableRefClosesWith4002() throws Exception {
    byte[][] bad = {
        {},                             // empty
        {0, 1, 1},                      // header too short
        {1, 0, 0, 0, 0},                // a reply: clients only push
        {2, 0, 0},                      // a broadcast
        {7, 0, 0, 0, 0},                // unknown kind
        {0, 9, 1, 1, 1, 'j'},           // join_ref past the end
        {0, 1, 1, 1, 1, 'j', (byte) 0xFF, 't', 'e'}, // ref not UTF-8
    };
    for (byte[] message : bad) {
      String topic = room("room");
      try (PhxClient witness = joined(NODE.port(), topic); PhxClient client = joined(NODE.port(), topic)) {
        long badFrames = NODE.node().metrics().badFrames.sum();
        client.sendFrame(0x2, message, true, true);
        PhxClient.Received close = client.expectClose();
        assertEquals(4002, close.closeCode(), close.closeReason());
        assertTrue(close.closeReason().startsWith("bad frame: "), close.closeReason());
        awaitCounter("badFrames", () -> NODE.node().metrics().badFrames.sum(), badFrames + 1);
        assertRoomStillWorks(topic, witness);
      }
    }
  }

  @Test
  void malformedBinaryAfterAReadableRefGetsAnErrorReplyAndTheConnectionStaysOpen() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient client = joined(NODE.port(), topic)) {
      byte[] t = topic.getBytes(StandardCharsets.UTF_8);
      // the topic runs past the end
      client.sendFrame(0x2, new byte[] {0, 1, 2, (byte) 200, 1, '1', 'r', '1', 'x'}, true, true);
      JsonNode reply = client.reply("r1");
      assertErrorReply(reply, "bad frame: binary topic runs past the end of the message");
      // the event is not UTF-8: the reply goes to the topic it could read
      byte[] m = new byte[5 + 1 + 2 + t.length + 1];
      m[0] = 0;
      m[1] = 1;
      m[2] = 2;
      m[3] = (byte) t.length;
      m[4] = 1;
      m[5] = '1';
      m[6] = 'r';
      m[7] = '2';
      System.arraycopy(t, 0, m, 8, t.length);
      m[m.length - 1] = (byte) 0xC0;
      client.sendFrame(0x2, m, true, true);
      JsonNode reply2 = client.reply("r2");
      assertErrorReply(reply2, "bad frame: binary event is not valid UTF-8");
      assertEquals(topic, reply2.get(2).asText());
      client.assertHeartbeatAnswered();
      client.pushOk(topic, "after", "{}");
      assertRoomStillWorks(topic, witness, f -> "after".equals(f.get(3).asText()));
    }
  }

  @Test
  void aBinaryMessageIsAPushOnly() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient client = joined(NODE.port(), topic)) {
      client.sendBinaryPush("1", "5", topic, "phx_leave", new byte[0]);
      assertErrorReply(client.reply("5"), "reserved event");
      client.sendBinaryPush(null, "6", "phoenix", "heartbeat", new byte[0]);
      assertErrorReply(client.reply("6"), "unmatched topic");
      client.sendBinaryPush("1", "7", "room:elsewhere", "file", new byte[] {1});
      assertErrorReply(client.reply("7"), "unmatched topic");
      client.pushOk(topic, "still", "{}"); // still joined: the binary phx_leave left nothing
      assertRoomStillWorks(topic, witness, f -> "still".equals(f.get(3).asText()));
    }
  }

  @Test
  void aBinaryPushFollowsTheNamespacesPublishRule() throws Exception {
    String topic = room("quiet");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient client = joined(NODE.port(), topic)) {
      client.sendBinaryPush("1", "5", topic, "file", new byte[] {1});
      assertErrorReply(client.reply("5"), "publish not allowed");
      client.assertHeartbeatAnswered();
      assertEquals(0, witness.count(f -> binaryPayload(f) != null));
    }
  }

  // ---------------------------------------------------------------------------------------
  // Limits: max-message-bytes counts the binary message's bytes, max-event-bytes the event's
  // ---------------------------------------------------------------------------------------

  @Test
  void maxMessageBytesCountsTheWholeBinaryMessageJustUnderAtAndOver() throws Exception {
    String topic = room("small"); // max-message-bytes = 1 KiB
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient client = joined(NODE.port(), topic)) {
      String event = "file";
      // header 5 + join_ref "1" + ref "rX" (2) + topic + event + payload
      int overhead = 5 + 1 + 2 + topic.length() + event.length();
      int at = 1024 - overhead;
      long refused = NODE.node().metrics().pushesRefusedBy("message too large");

      client.sendBinaryPush("1", "r1", topic, event, random(at - 1)); // just under
      assertEquals("ok", PhxClient.status(client.reply("r1")));
      byte[] atLimit = random(at);
      client.sendBinaryPush("1", "r2", topic, event, atLimit); // exactly 1024 bytes
      assertEquals("ok", PhxClient.status(client.reply("r2")));
      client.sendBinaryPush("1", "r3", topic, event, random(at + 1)); // one byte over
      assertErrorReply(client.reply("r3"), "message too large");
      client.sendBinaryPush("1", "r4", topic, event, random(60_000)); // far over (under max-frame-bytes)
      assertErrorReply(client.reply("r4"), "message too large");
      assertEquals(refused + 2, NODE.node().metrics().pushesRefusedBy("message too large"));

      assertEquals(at - 1, binaryPayload(binaryBroadcast(witness, event)).length);
      assertArrayEquals(atLimit, binaryPayload(binaryBroadcast(witness, event)));
      assertRoomStillWorks(topic, witness); // strict: nothing of the refused ones
    }
  }

  @Test
  void maxEventBytesCountsTheEventsBytes() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient client = joined(NODE.port(), topic)) {
      client.sendBinaryPush("1", "r1", topic, "x".repeat(64), new byte[] {1});
      assertEquals("ok", PhxClient.status(client.reply("r1")));
      client.sendBinaryPush("1", "r2", topic, "é".repeat(33), new byte[] {1}); // 66 bytes
      assertErrorReply(client.reply("r2"), "event too long");
      client.sendBinaryPush("1", "r3", topic, "e".repeat(255), new byte[] {1}); // the most a binary message can say
      assertErrorReply(client.reply("r3"), "event too long");
      assertArrayEquals(new byte[] {1}, binaryPayload(binaryBroadcast(witness, "x".repeat(64))));
      assertRoomStillWorks(topic, witness);
    }
  }

  @Test
  void aBinaryMessageOverMaxFrameBytesClosesWith1009() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient client = joined(NODE.port(), topic)) {
      client.sendFrame(0x2, PhxClient.binaryPush("1", "r", topic, "big", new byte[64 * 1024]), true, true);
      PhxClient.Received close = client.awaitClose(Duration.ofSeconds(5));
      assertNotNull(close, "a close frame before the connection ends");
      assertEquals(1009, close.closeCode(), close.closeReason());
      assertFalse(witness.buffered().stream().anyMatch(f -> binaryPayload(f) != null));
      assertRoomStillWorks(topic, witness);
    }
  }

  @Test
  void aBinaryPushHeldWhileTheJoinIsUnderWayStaysBinary() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic);
        PhxClient client = PhxClient.connect(NODE.port()).withWait(Duration.ofSeconds(5))) {
      client.sendJoin(topic, "1", "{}");
      client.sendBinaryPush("1", "early", topic, "early", new byte[] {3, 1, 4}); // before the ok reply
      assertEquals("ok", PhxClient.status(client.reply("1")));
      assertEquals("ok", PhxClient.status(client.reply("early")));
      assertArrayEquals(new byte[] {3, 1, 4}, binaryPayload(binaryBroadcast(witness, "early")));
      assertArrayEquals(new byte[] {3, 1, 4}, binaryPayload(binaryBroadcast(client, "early")));
    }
  }
}
