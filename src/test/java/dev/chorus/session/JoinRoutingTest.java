package dev.chorus.session;

import static dev.chorus.testkit.BadInput.assertErrorReply;
import static dev.chorus.testkit.BadInput.assertRoomStillWorks;
import static dev.chorus.testkit.BadInput.awaitCounter;
import static dev.chorus.testkit.BadInput.connect;
import static dev.chorus.testkit.BadInput.isBroadcast;
import static dev.chorus.testkit.BadInput.joined;
import static dev.chorus.testkit.BadInput.room;
import static dev.chorus.testkit.PhxClient.status;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Well-formed frames are routed by their join (the session's JoinTable): a push or event for a
 * topic not joined, or under another join_ref, gets "unmatched topic"; a join of an unknown
 * namespace or an invalid topic is refused and leaves nothing behind; a second join of a topic
 * replaces the first; a push right after the join's reply is accepted. The room and its witness
 * carry on throughout ({@link dev.chorus.testkit.BadInput}).
 */
@Timeout(60)
class JoinRoutingTest {
  @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension();

  static ChorusNode node() {
    return NODE.node();
  }

  // ---------------------------------------------------------------------------------------
  // Well-formed but unroutable
  // ---------------------------------------------------------------------------------------

  @Test
  void pushToATopicNotJoinedGetsUnmatchedTopic() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = connect(NODE.port())) {
      bad.join(room("room"), "1", "{}"); // joined elsewhere, not to the witness's topic
      bad.sendText("[\"1\",\"2\",\"" + topic + "\",\"msg\",{\"leak\":true}]");
      assertErrorReply(bad.reply("2"), "unmatched topic");
      bad.sendText("[null,\"3\",\"" + topic + "\",\"msg\",{\"leak\":true}]");
      assertErrorReply(bad.reply("3"), "unmatched topic");
      bad.assertHeartbeatAnswered();

      assertRoomStillWorks(topic, witness); // strict: nothing leaked into the room
    }
  }

  @Test
  void unknownEventBeforeJoinGetsUnmatchedTopic() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = connect(NODE.port())) {
      bad.sendText("[\"1\",\"1\",\"" + topic + "\",\"whatever\",{}]");
      assertErrorReply(bad.reply("1"), "unmatched topic");
      bad.sendText("[\"1\",\"2\",\"" + topic + "\",\"phx_leave\",{}]");
      assertErrorReply(bad.reply("2"), "unmatched topic");
      bad.assertHeartbeatAnswered();
      // The connection is sound: it can join and push after all.
      bad.join(topic, "3", "{}");
      bad.pushOk(topic, "late", "{\"ok\":1}");

      assertRoomStillWorks(topic, witness, f -> "late".equals(f.get(3).asText()));
    }
  }

  @Test
  void joinToAnUnknownNamespaceOrAnInvalidTopicIsRefused() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient bad = connect(NODE.port())) {
      long refused = node().metrics().joinsRefused.sum();

      bad.sendText("[\"1\",\"1\",\"nosuch:x\",\"phx_join\",{}]");
      JsonNode r1 = bad.reply("1");
      assertErrorReply(r1, "unknown namespace");
      assertEquals("nosuch:x", r1.get(2).asText());

      for (String invalid : new String[] {"nocolon", ":x", "room:", "room:" + "x".repeat(300)}) {
        bad.sendText("[\"2\",\"2\",\"" + invalid + "\",\"phx_join\",{}]");
        assertErrorReply(bad.reply("2"), "invalid topic");
      }
      awaitCounter("joinsRefused", () -> node().metrics().joinsRefused.sum(), refused + 5);
      // A refused join leaves nothing behind: pushing there is unmatched, joining a real room works.
      bad.sendText("[\"1\",\"3\",\"nosuch:x\",\"msg\",{}]");
      assertErrorReply(bad.reply("3"), "unmatched topic");
      bad.assertHeartbeatAnswered();
      bad.join(topic, "4", "{}");

      assertRoomStillWorks(topic, witness);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Joining the same topic twice on one connection
  // ---------------------------------------------------------------------------------------

  @Test
  void secondJoinOfTheSameTopicClosesTheFirstAndBroadcastsArriveOnce() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic); PhxClient twice = connect(NODE.port()); PhxClient pusher = connect(NODE.port())) {
      twice.join(topic, "1", "{}");
      twice.sendJoin(topic, "2", "{}");
      JsonNode closed = twice.expect("phx_close of the first join",
          f -> "phx_close".equals(f.get(3).asText()));
      assertEquals("1", closed.get(0).asText(), "phx_close names the first join: " + closed);
      assertEquals(topic, closed.get(2).asText());
      JsonNode reply = twice.reply("2");
      assertEquals("ok", status(reply), reply.toString());
      assertEquals("2", reply.get(0).asText());

      // The old join_ref no longer routes; the new one does.
      twice.sendText("[\"1\",\"3\",\"" + topic + "\",\"msg\",{}]");
      assertErrorReply(twice.reply("3"), "unmatched topic");

      pusher.join(topic, "1", "{}");
      for (int round = 0; round < 3; round++) {
        String id = UUID.randomUUID().toString();
        pusher.pushOk(topic, "once", "{\"id\":\"" + id + "\"}");
        twice.expect("the broadcast", f -> isBroadcast(f, id));
        // The room delivers one broadcast to all its members in one go, so a duplicate would
        // already be queued before this heartbeat's reply.
        twice.assertHeartbeatAnswered();
        assertEquals(0, twice.count(f -> isBroadcast(f, id)), "broadcast delivered twice: " + twice.buffered());
        witness.expect("the witness's copy", f -> isBroadcast(f, id));
      }
      twice.pushOk(topic, "from-rejoined", "{}"); // under join_ref "2"
      assertRoomStillWorks(topic, witness, f -> "from-rejoined".equals(f.get(3).asText()));
      assertEquals(0, witness.buffered().size(), "nothing else reached the witness: " + witness.buffered());
    }
  }

  @Test
  void pushSentTheMomentTheJoinReplyArrivesIsAccepted() throws Exception {
    // What phoenix.js does: it buffers pushes until the join's ok, then sends them at once.
    // The race is narrow, so many rounds; 120 per connection (3 frames each) stay within the
    // default inbound burst of 400.
    String topic = room("room");
    try (PhxClient witness = joined(NODE.port(), topic)) {
      for (int c = 0; c < 3; c++) {
        try (PhxClient eager = connect(NODE.port())) {
          for (int round = 0; round < 120; round++) {
            String id = c + "-" + round;
            String joinRef = "r" + round;
            eager.join(topic, joinRef, "{}");
            eager.sendText("[\"" + joinRef + "\",\"p" + round + "\",\"" + topic + "\",\"eager\",{\"id\":\"" + id + "\"}]");
            JsonNode reply = eager.reply("p" + round);
            assertEquals("ok", status(reply), "push " + id + " right after the join reply: " + reply);
            witness.expect("broadcast " + id, f -> isBroadcast(f, id));
            eager.sendText("[\"" + joinRef + "\",\"l" + round + "\",\"" + topic + "\",\"phx_leave\",{}]");
            assertEquals("ok", status(eager.reply("l" + round)));
            eager.expect("phx_close " + id, f -> "phx_close".equals(f.get(3).asText()) && joinRef.equals(f.get(0).asText()));
            eager.buffered().clear(); // its own copies of the broadcasts
          }
        }
      }
      assertRoomStillWorks(topic, witness);
    }
  }
}
