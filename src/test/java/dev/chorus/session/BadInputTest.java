package dev.chorus.session;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.TestNode;
import dev.chorus.testkit.TestSocket;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Malformed, oversize, unroutable and flooding input from one client: each gets the documented
 * error reply or close code (docs/protocol.md "Errors"), and never disturbs another connection
 * or the room. Every test keeps a well-behaved witness joined to the same room and shows,
 * after the bad input, that a second good client's push still reaches it.
 */
@Timeout(60)
class BadInputTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Duration WAIT = Duration.ofSeconds(5);
  static final AtomicInteger ROOMS = new AtomicInteger();

  static ChorusNode node;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start("""
        chorus.connection.max-frame-bytes = 4 KiB
        chorus.namespaces.small { max-message-bytes = 1 KiB }
        chorus.namespaces.flood { publish-rate = 5, publish-burst = 5, flood-tolerance = 20 }
        """);
    port = node.httpAddress().getPort();
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  // ---------------------------------------------------------------------------------------
  // Not a Phoenix frame and no ref to answer: close 4002
  // ---------------------------------------------------------------------------------------

  @Test
  void textThatIsNotJsonClosesWith4002() throws Exception {
    String topic = room("room");
    try (Conn witness = Conn.joined(port, topic); Conn bad = Conn.joined(port, topic)) {
      long badFrames = node.metrics().badFrames.sum();
      long closed = node.metrics().closedBy("bad_frame");

      bad.sendText("hello, this is not json");

      TestSocket.Received close = bad.awaitClose();
      assertEquals(4002, close.closeCode());
      assertTrue(close.closeReason().startsWith("bad frame"), close.closeReason());
      awaitCounter("badFrames", () -> node.metrics().badFrames.sum(), badFrames + 1);
      awaitCounter("closedBy(bad_frame)", () -> node.metrics().closedBy("bad_frame"), closed + 1);

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
    try (Conn witness = Conn.joined(port, topic); Conn bad = Conn.joined(port, topic)) {
      long badFrames = node.metrics().badFrames.sum();

      bad.sendText(text);

      TestSocket.Received close = bad.awaitClose();
      assertEquals(4002, close.closeCode(), close.closeReason());
      assertTrue(close.closeReason().startsWith("bad frame"), close.closeReason());
      awaitCounter("badFrames", () -> node.metrics().badFrames.sum(), badFrames + 1);

      assertRoomStillWorks(topic, witness);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Bad shape with a readable ref: an error reply, and the connection stays open
  // ---------------------------------------------------------------------------------------

  @Test
  void wrongElementTypesWithARefGetAnErrorReplyAndTheConnectionStaysOpen() throws Exception {
    String topic = room("room");
    try (Conn witness = Conn.joined(port, topic); Conn bad = Conn.joined(port, topic)) {
      long badFrames = node.metrics().badFrames.sum();

      bad.sendText("[\"1\",\"5\",42,\"msg\",{}]");
      JsonNode reply = bad.expectReply("5");
      assertErrorReply(reply, null);
      assertTrue(reason(reply).contains("topic"), "reason names the topic: " + reason(reply));

      bad.sendText("[\"1\",\"6\",\"" + topic + "\",7,{}]");
      JsonNode reply2 = bad.expectReply("6");
      assertErrorReply(reply2, null);
      assertTrue(reason(reply2).contains("event"), "reason names the event: " + reason(reply2));
      assertEquals(topic, reply2.get(2).asText(), "the topic was readable, so the reply carries it");

      bad.sendText("[\"1\",\"7\",\"" + topic + "\",\"msg\",{}, 6]");
      JsonNode reply3 = bad.expectReply("7");
      assertErrorReply(reply3, null);
      assertTrue(reason(reply3).contains("5 elements"), reason(reply3));

      awaitCounter("badFrames", () -> node.metrics().badFrames.sum(), badFrames + 3);
      bad.assertHeartbeatAnswered();
      // Still a member: its own push is accepted and broadcast.
      bad.push(topic, "1", "after", "{\"still\":\"here\"}");

      assertRoomStillWorks(topic, witness, f -> "after".equals(f.get(3).asText()));
    }
  }

  @Test
  void payloadThatIsNotAnObjectGetsAnErrorReply() throws Exception {
    String topic = room("room");
    try (Conn witness = Conn.joined(port, topic); Conn bad = Conn.joined(port, topic)) {
      long badFrames = node.metrics().badFrames.sum();

      String[] payloads = {"[1,2]", "\"text\"", "42", "null"};
      for (int i = 0; i < payloads.length; i++) {
        String ref = "p" + i;
        bad.sendText("[\"1\",\"" + ref + "\",\"" + topic + "\",\"msg\"," + payloads[i] + "]");
        JsonNode reply = bad.expectReply(ref);
        assertErrorReply(reply, null);
        assertTrue(reason(reply).contains("payload"), payloads[i] + " -> " + reason(reply));
        assertEquals(topic, reply.get(2).asText());
        assertEquals("1", reply.get(0).asText(), "the join_ref is echoed");
      }
      awaitCounter("badFrames", () -> node.metrics().badFrames.sum(), badFrames + payloads.length);
      bad.assertHeartbeatAnswered();

      assertRoomStillWorks(topic, witness); // strict: none of the bad pushes was broadcast
    }
  }

  // ---------------------------------------------------------------------------------------
  // Well-formed but unroutable
  // ---------------------------------------------------------------------------------------

  @Test
  void pushToATopicNotJoinedGetsUnmatchedTopic() throws Exception {
    String topic = room("room");
    try (Conn witness = Conn.joined(port, topic); Conn bad = Conn.connect(port)) {
      bad.join(room("room"), "1"); // joined elsewhere, not to the witness's topic
      bad.sendText("[\"1\",\"2\",\"" + topic + "\",\"msg\",{\"leak\":true}]");
      assertErrorReply(bad.expectReply("2"), "unmatched topic");
      bad.sendText("[null,\"3\",\"" + topic + "\",\"msg\",{\"leak\":true}]");
      assertErrorReply(bad.expectReply("3"), "unmatched topic");
      bad.assertHeartbeatAnswered();

      assertRoomStillWorks(topic, witness); // strict: nothing leaked into the room
    }
  }

  @Test
  void unknownEventBeforeJoinGetsUnmatchedTopic() throws Exception {
    String topic = room("room");
    try (Conn witness = Conn.joined(port, topic); Conn bad = Conn.connect(port)) {
      bad.sendText("[\"1\",\"1\",\"" + topic + "\",\"whatever\",{}]");
      assertErrorReply(bad.expectReply("1"), "unmatched topic");
      bad.sendText("[\"1\",\"2\",\"" + topic + "\",\"phx_leave\",{}]");
      assertErrorReply(bad.expectReply("2"), "unmatched topic");
      bad.assertHeartbeatAnswered();
      // The connection is sound: it can join and push after all.
      bad.join(topic, "3");
      bad.push(topic, "3", "late", "{\"ok\":1}");

      assertRoomStillWorks(topic, witness, f -> "late".equals(f.get(3).asText()));
    }
  }

  @Test
  void joinToAnUnknownNamespaceOrAnInvalidTopicIsRefused() throws Exception {
    String topic = room("room");
    try (Conn witness = Conn.joined(port, topic); Conn bad = Conn.connect(port)) {
      long refused = node.metrics().joinsRefused.sum();

      bad.sendText("[\"1\",\"1\",\"nosuch:x\",\"phx_join\",{}]");
      JsonNode r1 = bad.expectReply("1");
      assertErrorReply(r1, "unknown namespace");
      assertEquals("nosuch:x", r1.get(2).asText());

      for (String invalid : new String[] {"nocolon", ":x", "room:", "room:" + "x".repeat(300)}) {
        bad.sendText("[\"2\",\"2\",\"" + invalid + "\",\"phx_join\",{}]");
        assertErrorReply(bad.expectReply("2"), "invalid topic");
      }
      awaitCounter("joinsRefused", () -> node.metrics().joinsRefused.sum(), refused + 5);
      // A refused join leaves nothing behind: pushing there is unmatched, joining a real room works.
      bad.sendText("[\"1\",\"3\",\"nosuch:x\",\"msg\",{}]");
      assertErrorReply(bad.expectReply("3"), "unmatched topic");
      bad.assertHeartbeatAnswered();
      bad.join(topic, "4");

      assertRoomStillWorks(topic, witness);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Size limits
  // ---------------------------------------------------------------------------------------

  @Test
  void pushAboveTheNamespaceMessageLimitGetsMessageTooLarge() throws Exception {
    String topic = room("small"); // max-message-bytes = 1 KiB, frame limit 4 KiB
    try (Conn witness = Conn.joined(port, topic); Conn bad = Conn.joined(port, topic)) {
      bad.sendText("[\"1\",\"2\",\"" + topic + "\",\"msg\",{\"b\":\"" + "x".repeat(2000) + "\"}]");
      JsonNode reply = bad.expectReply("2");
      assertErrorReply(reply, "message too large");
      assertEquals("1", reply.get(0).asText());
      bad.assertHeartbeatAnswered();
      // A push within the limit from the same connection still goes through.
      bad.push(topic, "1", "fits", "{\"b\":\"" + "y".repeat(500) + "\"}");

      assertRoomStillWorks(topic, witness, f -> "fits".equals(f.get(3).asText()));
    }
  }

  // ---------------------------------------------------------------------------------------
  // WebSocket-level violations
  // ---------------------------------------------------------------------------------------

  @Test
  void binaryFrameClosesWith1003() throws Exception {
    String topic = room("room");
    try (Conn witness = Conn.joined(port, topic); Conn bad = Conn.joined(port, topic)) {
      long closed = node.metrics().closedBy("binary_unsupported");

      bad.socket.sendFrame(0x2, new byte[] {1, 2, 3, 4}, true, true);

      TestSocket.Received close = bad.awaitClose();
      assertEquals(1003, close.closeCode(), close.closeReason());
      awaitCounter("closedBy(binary_unsupported)", () -> node.metrics().closedBy("binary_unsupported"), closed + 1);

      assertRoomStillWorks(topic, witness);
    }
  }

  /**
   * WebSocket framing violations that the frame reader reports before it consumes the frame,
   * on a node of their own: if the connection stage mishandles them, only this node suffers.
   */
  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class FramingViolations {
    ChorusNode frameNode;
    int framePort;

    @BeforeAll
    void start() throws Exception {
      frameNode = TestNode.start("chorus.connection.max-frame-bytes = 4 KiB");
      framePort = frameNode.httpAddress().getPort();
    }

    @AfterAll
    void stop() throws Exception {
      if (frameNode != null) frameNode.close();
    }

    @Test
    void frameAboveMaxFrameBytesClosesWith1009() throws Exception {
      String topic = room("room");
      try (Conn witness = Conn.joined(framePort, topic); Conn bad = Conn.joined(framePort, topic)) {
        long closed = frameNode.metrics().closedBy("too_big");

        bad.sendText("[\"1\",\"2\",\"" + topic + "\",\"msg\",{\"b\":\"" + "x".repeat(5000) + "\"}]");

        TestSocket.Received close = bad.awaitClose();
        assertEquals(1009, close.closeCode(), close.closeReason());
        awaitCounter("closedBy(too_big)", () -> frameNode.metrics().closedBy("too_big"), closed + 1);

        assertRoomStillWorks(topic, witness);
      }
    }

    @Test
    void fragmentedMessageAboveMaxFrameBytesClosesWith1009() throws Exception {
      String topic = room("room");
      try (Conn witness = Conn.joined(framePort, topic); Conn bad = Conn.joined(framePort, topic)) {
        byte[] part = "x".repeat(3000).getBytes(StandardCharsets.UTF_8);
        bad.socket.sendFrame(0x1, part, false, true); // each fragment is under the limit,
        bad.socket.sendFrame(0x0, part, true, true); // the message is not

        TestSocket.Received close = bad.awaitClose();
        assertEquals(1009, close.closeCode(), close.closeReason());

        assertRoomStillWorks(topic, witness);
      }
    }

    @Test
    void unmaskedClientFrameClosesWith1002() throws Exception {
      String topic = room("room");
      try (Conn witness = Conn.joined(framePort, topic); Conn bad = Conn.joined(framePort, topic)) {
        long closed = frameNode.metrics().closedBy("protocol_error");

        bad.socket.sendFrame(0x1, "[null,\"9\",\"phoenix\",\"heartbeat\",{}]".getBytes(StandardCharsets.UTF_8), true, false);

        TestSocket.Received close = bad.awaitClose();
        assertEquals(1002, close.closeCode(), close.closeReason());
        awaitCounter("closedBy(protocol_error)", () -> frameNode.metrics().closedBy("protocol_error"), closed + 1);

        assertRoomStillWorks(topic, witness);
      }
    }

    @Test
    void frameWithReservedBitsSetClosesWith1002() throws Exception {
      String topic = room("room");
      try (Conn witness = Conn.joined(framePort, topic); Conn bad = Conn.joined(framePort, topic)) {
        byte[] payload = "[null,\"9\",\"phoenix\",\"heartbeat\",{}]".getBytes(StandardCharsets.UTF_8);
        byte[] frame = new byte[2 + 4 + payload.length];
        frame[0] = (byte) (0x80 | 0x40 | 0x1); // FIN, RSV1 (no extension was negotiated), text
        frame[1] = (byte) (0x80 | payload.length); // masked, with an all-zero mask
        System.arraycopy(payload, 0, frame, 6, payload.length);
        bad.socket.sendRaw(frame);

        TestSocket.Received close = bad.awaitClose();
        assertEquals(1002, close.closeCode(), close.closeReason());

        assertRoomStillWorks(topic, witness);
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Floods
  // ---------------------------------------------------------------------------------------

  @Test
  void pushFloodAboveTheNamespaceRateGetsRateLimitedThenCloses4003() throws Exception {
    String topic = room("flood"); // publish-rate 5/s, burst 5, flood-tolerance 20
    try (Conn witness = Conn.joined(port, topic); Conn bad = Conn.joined(port, topic)) {
      long rateLimited = node.metrics().rateLimited.sum();
      long closed = node.metrics().closedBy("rate_limited");

      int pushes = 60;
      for (int i = 0; i < pushes; i++) {
        bad.sendText("[\"1\",\"f" + i + "\",\"" + topic + "\",\"flood\",{\"i\":" + i + "}]");
      }
      TestSocket.Received close = bad.awaitClose();
      assertEquals(4003, close.closeCode(), close.closeReason());

      int ok = 0, limited = 0;
      for (JsonNode f : bad.buffered) {
        if (!isReply(f)) continue;
        String status = f.get(4).get("status").asText();
        if ("ok".equals(status)) ok++;
        else if ("error".equals(status) && "rate limited".equals(reason(f))) limited++;
        else fail("unexpected reply " + f);
      }
      // ok replies travel through the room entity and may be overtaken by the close; the
      // rate-limit replies are queued before it, and the 21st violation is the one that closes.
      assertTrue(limited >= 21, "flood-tolerance 20 allows 20 violations, the 21st closes: " + limited);
      assertTrue(ok + limited < pushes, "closed before every push was answered");
      long minLimited = rateLimited + limited;
      awaitCounter("rateLimited", () -> node.metrics().rateLimited.sum(), minLimited);
      awaitCounter("closedBy(rate_limited)", () -> node.metrics().closedBy("rate_limited"), closed + 1);

      // The accepted pushes (the burst of 5, perhaps one more refilled) reached the witness.
      List<JsonNode> before = assertRoomStillWorks(topic, witness, f -> "flood".equals(f.get(3).asText()));
      assertTrue(before.size() >= 5 && before.size() < pushes - 20, "flood broadcasts at the witness: " + before.size());
      assertTrue(ok <= before.size(), "no ok reply without a broadcast");
    }
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class ConnectionInboundFlood {
    ChorusNode floodNode;
    int floodPort;

    @BeforeAll
    void start() throws Exception {
      floodNode = TestNode.start("chorus.connection { inbound-rate = 5, inbound-burst = 10, flood-tolerance = 10 }");
      floodPort = floodNode.httpAddress().getPort();
    }

    @AfterAll
    void stop() throws Exception {
      if (floodNode != null) floodNode.close();
    }

    @Test
    void heartbeatFloodAboveTheConnectionRateGetsRateLimitedThenCloses4003() throws Exception {
      String topic = room("room");
      try (Conn witness = Conn.joined(floodPort, topic); Conn bad = Conn.connect(floodPort)) {
        long rateLimited = floodNode.metrics().rateLimited.sum();

        int beats = 60;
        for (int i = 0; i < beats; i++) bad.sendText("[null,\"h" + i + "\",\"phoenix\",\"heartbeat\",{}]");
        TestSocket.Received close = bad.awaitClose();
        assertEquals(4003, close.closeCode(), close.closeReason());

        int ok = 0, limited = 0;
        for (JsonNode f : bad.buffered) {
          assertTrue(isReply(f), "only replies expected: " + f);
          assertEquals("phoenix", f.get(2).asText());
          String status = f.get(4).get("status").asText();
          if ("ok".equals(status)) ok++;
          else if ("error".equals(status) && "rate limited".equals(reason(f))) limited++;
          else fail("unexpected reply " + f);
        }
        // ok answers go through the session actor and may be overtaken by the close; the
        // rate-limit answers are queued directly, before it.
        assertTrue(limited >= 1, "rate limited replies before the close: " + limited);
        assertTrue(ok + limited < beats, "closed before every heartbeat was answered: " + (ok + limited));
        long minLimited = rateLimited + limited + 1; // the violation that closed got no reply
        awaitCounter("rateLimited", () -> floodNode.metrics().rateLimited.sum(), minLimited);
        awaitCounter("closedBy(rate_limited)", () -> floodNode.metrics().closedBy("rate_limited"), 1);

        assertRoomStillWorks(topic, witness);
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Joining the same topic twice on one connection
  // ---------------------------------------------------------------------------------------

  @Test
  void secondJoinOfTheSameTopicClosesTheFirstAndBroadcastsArriveOnce() throws Exception {
    String topic = room("room");
    try (Conn witness = Conn.joined(port, topic); Conn twice = Conn.connect(port); Conn pusher = Conn.connect(port)) {
      twice.join(topic, "1");
      twice.sendText("[\"2\",\"2\",\"" + topic + "\",\"phx_join\",{}]");
      JsonNode closed = twice.expect("phx_close of the first join",
          f -> "phx_close".equals(f.get(3).asText()));
      assertEquals("1", closed.get(0).asText(), "phx_close names the first join: " + closed);
      assertEquals(topic, closed.get(2).asText());
      JsonNode reply = twice.expectReply("2");
      assertEquals("ok", reply.get(4).get("status").asText(), reply.toString());
      assertEquals("2", reply.get(0).asText());

      // The old join_ref no longer routes; the new one does.
      twice.sendText("[\"1\",\"3\",\"" + topic + "\",\"msg\",{}]");
      assertErrorReply(twice.expectReply("3"), "unmatched topic");

      pusher.join(topic, "1");
      for (int round = 0; round < 3; round++) {
        String id = UUID.randomUUID().toString();
        pusher.push(topic, "1", "once", "{\"id\":\"" + id + "\"}");
        twice.expect("the broadcast", f -> isBroadcast(f, id));
        // The room delivers one broadcast to all its members in one go, so a duplicate would
        // already be queued before this heartbeat's reply.
        twice.assertHeartbeatAnswered();
        assertEquals(0, twice.count(f -> isBroadcast(f, id)), "broadcast delivered twice: " + twice.buffered);
        witness.expect("the witness's copy", f -> isBroadcast(f, id));
      }
      twice.push(topic, "2", "from-rejoined", "{}");
      assertRoomStillWorks(topic, witness, f -> "from-rejoined".equals(f.get(3).asText()));
      assertEquals(0, witness.buffered.size(), "nothing else reached the witness: " + witness.buffered);
    }
  }

  @Test
  void pushSentTheMomentTheJoinReplyArrivesIsAccepted() throws Exception {
    // What phoenix.js does: it buffers pushes until the join's ok, then sends them at once.
    // The race is narrow, so many rounds; 120 per connection (3 frames each) stay within the
    // default inbound burst of 400.
    String topic = room("room");
    try (Conn witness = Conn.joined(port, topic)) {
      for (int c = 0; c < 3; c++) {
        try (Conn eager = Conn.connect(port)) {
          for (int round = 0; round < 120; round++) {
            String id = c + "-" + round;
            String joinRef = "r" + round;
            eager.join(topic, joinRef);
            eager.sendText("[\"" + joinRef + "\",\"p" + round + "\",\"" + topic + "\",\"eager\",{\"id\":\"" + id + "\"}]");
            JsonNode reply = eager.expectReply("p" + round);
            assertEquals("ok", reply.get(4).get("status").asText(), "push " + id + " right after the join reply: " + reply);
            witness.expect("broadcast " + id, f -> isBroadcast(f, id));
            eager.sendText("[\"" + joinRef + "\",\"l" + round + "\",\"" + topic + "\",\"phx_leave\",{}]");
            assertEquals("ok", eager.expectReply("l" + round).get(4).get("status").asText());
            eager.expect("phx_close " + id, f -> "phx_close".equals(f.get(3).asText()) && joinRef.equals(f.get(0).asText()));
            eager.buffered.clear(); // its own copies of the broadcasts
          }
        }
      }
      assertRoomStillWorks(topic, witness);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------------------------

  static String room(String namespace) {
    return namespace + ":bad-" + ROOMS.incrementAndGet();
  }

  /**
   * A second good client joins {@code topic} and pushes; the witness must receive it. Every
   * broadcast the witness got before it must match {@code expectedBefore} (strict when null).
   */
  static List<JsonNode> assertRoomStillWorks(String topic, Conn witness, Predicate<JsonNode> expectedBefore)
      throws Exception {
    try (Conn good = Conn.connect(witness.port)) { // the witness's node
      good.join(topic, "1");
      String id = UUID.randomUUID().toString();
      good.push(topic, "1", "check", "{\"id\":\"" + id + "\"}");
      witness.expect("the good client's push to reach the witness", f -> isBroadcast(f, id));
      for (JsonNode earlier : witness.buffered) {
        assertTrue(expectedBefore != null && expectedBefore.test(earlier),
            "the witness received something unexpected before the check: " + earlier);
      }
      List<JsonNode> before = new ArrayList<>(witness.buffered);
      witness.buffered.clear();
      witness.assertHeartbeatAnswered();
      return before;
    }
  }

  static void assertRoomStillWorks(String topic, Conn witness) throws Exception {
    assertRoomStillWorks(topic, witness, null);
  }

  static boolean isReply(JsonNode f) {
    return "phx_reply".equals(f.get(3).asText());
  }

  static boolean isBroadcast(JsonNode f, String id) {
    return f.get(0).isNull() && !"phx_reply".equals(f.get(3).asText()) && id.equals(f.get(4).path("id").asText());
  }

  static String reason(JsonNode reply) {
    return reply.get(4).path("response").path("reason").asText();
  }

  static void assertErrorReply(JsonNode reply, String reason) {
    assertTrue(isReply(reply), "a phx_reply: " + reply);
    assertEquals("error", reply.get(4).get("status").asText(), reply.toString());
    assertTrue(reply.get(4).path("response").path("reason").isTextual(), "a reason: " + reply);
    if (reason != null) assertEquals(reason, reason(reply), reply.toString());
  }

  static void awaitCounter(String what, LongSupplier counter, long atLeast) throws InterruptedException {
    TestNode.await(what + " >= " + atLeast, WAIT, () -> counter.getAsLong() >= atLeast);
  }

  /** A TestSocket that keeps frames read past while looking for another one. */
  static final class Conn implements AutoCloseable {
    final int port;
    final TestSocket socket;
    final List<JsonNode> buffered = new ArrayList<>();
    private int heartbeats;

    private Conn(int port, TestSocket socket) {
      this.port = port;
      this.socket = socket;
    }

    static Conn connect(int port) throws IOException {
      return new Conn(port, TestSocket.connect(port));
    }

    static Conn joined(int port, String topic) throws Exception {
      Conn c = connect(port);
      c.join(topic, "1");
      return c;
    }

    void sendText(String text) throws IOException {
      socket.sendText(text);
    }

    void join(String topic, String joinRef) throws Exception {
      String ref = "j" + joinRef;
      sendText("[\"" + joinRef + "\",\"" + ref + "\",\"" + topic + "\",\"phx_join\",{}]");
      JsonNode reply = expectReply(ref);
      assertEquals("ok", reply.get(4).get("status").asText(), "join " + topic + ": " + reply);
    }

    /** Pushes and waits for the ok reply (the broadcast to itself stays buffered). */
    void push(String topic, String joinRef, String event, String payload) throws Exception {
      String ref = "push-" + UUID.randomUUID();
      sendText("[\"" + joinRef + "\",\"" + ref + "\",\"" + topic + "\",\"" + event + "\"," + payload + "]");
      JsonNode reply = expectReply(ref);
      assertEquals("ok", reply.get(4).get("status").asText(), "push " + event + ": " + reply);
    }

    void assertHeartbeatAnswered() throws Exception {
      String ref = "hb" + (++heartbeats);
      sendText("[null,\"" + ref + "\",\"phoenix\",\"heartbeat\",{}]");
      JsonNode reply = expectReply(ref);
      assertEquals("phoenix", reply.get(2).asText());
      assertEquals("ok", reply.get(4).get("status").asText(), reply.toString());
    }

    JsonNode expectReply(String ref) throws Exception {
      return expect("phx_reply to ref " + ref, f -> isReply(f) && ref.equals(f.get(1).asText()));
    }

    int count(Predicate<JsonNode> p) {
      return (int) buffered.stream().filter(p).count();
    }

    /** The first frame (buffered or new) matching {@code p}, removed from the buffer. */
    JsonNode expect(String what, Predicate<JsonNode> p) throws Exception {
      for (Iterator<JsonNode> it = buffered.iterator(); it.hasNext(); ) {
        JsonNode f = it.next();
        if (p.test(f)) {
          it.remove();
          return f;
        }
      }
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (true) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) fail("timed out waiting for " + what + "; got " + buffered);
        TestSocket.Received r;
        try {
          r = socket.receive(Duration.ofMillis(left));
        } catch (SocketTimeoutException e) {
          fail("timed out waiting for " + what + "; got " + buffered);
          return null;
        }
        if (r.isClose()) fail("closed (" + r.closeCode() + " " + r.closeReason() + ") waiting for " + what);
        assertEquals(0x1, r.opcode(), "a text frame");
        JsonNode f = JSON.readTree(r.text());
        assertTrue(f.isArray() && f.size() == 5, "a 5-element frame: " + f);
        if (p.test(f)) return f;
        buffered.add(f);
      }
    }

    /** Reads (buffering text frames) until the server's close frame, which it echoes. */
    TestSocket.Received awaitClose() throws Exception {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (true) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) fail("no close frame within " + WAIT + "; got " + buffered);
        TestSocket.Received r;
        try {
          r = socket.receive(Duration.ofMillis(left));
        } catch (SocketTimeoutException e) {
          fail("no close frame within " + WAIT + "; got " + buffered);
          return null;
        } catch (EOFException | SocketException e) {
          fail("connection ended without a close frame: " + e + "; got " + buffered);
          return null;
        }
        if (r.isClose()) {
          try {
            socket.sendFrame(0x8, java.util.Arrays.copyOf(r.payload(), Math.min(2, r.payload().length)), true, true);
          } catch (IOException ignored) {
            // the server may already have dropped the connection
          }
          return r;
        }
        assertEquals(0x1, r.opcode(), "a text frame before the close");
        buffered.add(JSON.readTree(r.text()));
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
