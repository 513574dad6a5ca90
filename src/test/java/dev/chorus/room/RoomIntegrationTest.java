package dev.chorus.room;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Join, push, broadcast, leave and heartbeat round trips over real sockets against a real node. */
class RoomIntegrationTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static ChorusNode node;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start();
    port = node.httpAddress().getPort();
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  /** The next frame; a broadcast with its position blanked ({@link #withoutPosition}). */
  static JsonNode frame(PhxClient s) throws IOException {
    return withoutPosition(s.next());
  }

  /**
   * A broadcast with its position ({@code "<epoch>:<seq>"} in the ref slot) checked and then
   * blanked, so that tests can compare the rest; any other frame as it is.
   */
  static JsonNode withoutPosition(JsonNode f) {
    if (f.get(0).isNull() && f.get(1).isTextual() && !"phx_reply".equals(f.get(3).asText())) {
      assertTrue(f.get(1).asText().matches("[0-9a-z]+:[0-9]+"), "a broadcast's ref is its position: " + f);
      com.fasterxml.jackson.databind.node.ArrayNode copy = (com.fasterxml.jackson.databind.node.ArrayNode) f.deepCopy();
      copy.set(1, com.fasterxml.jackson.databind.node.NullNode.getInstance());
      return copy;
    }
    return f;
  }

  static void join(PhxClient s, String topic, String joinRef) throws IOException {
    s.sendJoin(topic, joinRef, "{}");
    JsonNode reply = frame(s);
    // the join's response says where the topic's sequence stands: {"epoch": "...", "seq": n}
    JsonNode response = reply.path(4).path("response");
    assertTrue(response.path("epoch").isTextual() && response.path("seq").canConvertToLong(), reply.toString());
    ((com.fasterxml.jackson.databind.node.ObjectNode) reply.get(4)).putObject("response");
    assertEquals(JSON.readTree("[\"" + joinRef + "\",\"" + joinRef + "\",\"" + topic
        + "\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]"), reply);
  }

  @Test
  void heartbeatIsAnswered() throws Exception {
    try (PhxClient s = PhxClient.connect(port)) {
      s.sendText("[null,\"9\",\"phoenix\",\"heartbeat\",{}]");
      assertEquals(JSON.readTree("[null,\"9\",\"phoenix\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]"), frame(s));
    }
  }

  @Test
  void pushIsRepliedAndBroadcastToEveryMemberIncludingThePusher() throws Exception {
    try (PhxClient a = PhxClient.connect(port); PhxClient b = PhxClient.connect(port)) {
      join(a, "room:roundtrip", "1");
      join(b, "room:roundtrip", "7");
      a.sendText("[\"1\",\"2\",\"room:roundtrip\",\"msg\",{\"body\":\"hi \\\"there\\\"\",\"n\":[1,2]}]");
      JsonNode broadcast = JSON.readTree("[null,null,\"room:roundtrip\",\"msg\",{\"body\":\"hi \\\"there\\\"\",\"n\":[1,2]}]");
      JsonNode reply = JSON.readTree("[\"1\",\"2\",\"room:roundtrip\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]");
      List<JsonNode> atA = List.of(frame(a), frame(a));
      assertTrue(atA.contains(broadcast) && atA.contains(reply), "pusher got " + atA);
      assertEquals(broadcast, frame(b));
    }
  }

  @Test
  void leaveIsRepliedThenClosedAndStopsDelivery() throws Exception {
    try (PhxClient a = PhxClient.connect(port); PhxClient b = PhxClient.connect(port)) {
      join(a, "room:leave", "1");
      join(b, "room:leave", "1");
      a.sendText("[\"1\",\"3\",\"room:leave\",\"phx_leave\",{}]");
      assertEquals(JSON.readTree("[\"1\",\"3\",\"room:leave\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]"), frame(a));
      assertEquals(JSON.readTree("[\"1\",\"1\",\"room:leave\",\"phx_close\",{}]"), frame(a));
      // b publishes after a's leave has been processed (a's heartbeat reply proves it)
      a.sendText("[null,\"4\",\"phoenix\",\"heartbeat\",{}]");
      assertEquals("4", frame(a).get(1).asText());
      TestNode.await("a's channel gone from the room", Duration.ofSeconds(5), () -> membersOf() == 1);
      b.sendText("[\"1\",\"2\",\"room:leave\",\"msg\",{\"x\":1}]");
      frame(b);
      frame(b); // reply and broadcast
      a.sendText("[null,\"5\",\"phoenix\",\"heartbeat\",{}]");
      JsonNode next = frame(a);
      assertEquals("5", next.get(1).asText(), "a must get nothing after leaving, got " + next);
      // a push to the left topic is refused like any unjoined topic
      a.sendText("[\"1\",\"6\",\"room:leave\",\"msg\",{}]");
      assertEquals("unmatched topic", frame(a).get(4).get("response").get("reason").asText());
    }
  }

  static int membersOf() {
    return membersOf(node);
  }

  static int membersOf(ChorusNode node) {
    var stats = org.apache.pekko.actor.typed.javadsl.AskPattern.<LocalRooms.Command, LocalRooms.Largest>ask(
        node.localRooms(), r -> new LocalRooms.GetLargest(0, r), Duration.ofSeconds(3), node.system().scheduler());
    return stats.toCompletableFuture().join().members();
  }

  @Test
  void twoHundredConnectionsReceiveABurstOfOneHundredInOrder() throws Exception {
    List<PhxClient> members = new ArrayList<>();
    try {
      for (int i = 0; i < 200; i++) {
        PhxClient s = PhxClient.connect(port);
        members.add(s);
        join(s, "room:burst", "1");
      }
      PhxClient publisher = members.get(0);
      StringBuilder burst = new StringBuilder();
      for (int i = 0; i < 100; i++) {
        // one write with 100 frames: the server sees them as one burst
        publisher.sendText("[\"1\",null,\"room:burst\",\"msg\",{\"i\":" + i + "}]");
      }
      for (PhxClient s : members) {
        for (int i = 0; i < 100; i++) {
          JsonNode f = frame(s);
          assertEquals("msg", f.get(3).asText());
          assertEquals(i, f.get(4).get("i").asInt(), "in order, none missing");
        }
      }
      assertEquals(0, node.metrics().slowConsumerCloses.sum());
    } finally {
      for (PhxClient s : members) s.close();
    }
  }

  @Test
  void aFailingChannelSendsPhxErrorForThatJoinOnly() throws Exception {
    try (PhxClient a = PhxClient.connect(port)) {
      join(a, "room:crash", "1");
      join(a, "room:other", "2");
      a.sendText("[\"1\",\"3\",\"room:crash\",\"__crash__\",{}]");
      assertEquals(JSON.readTree("[\"1\",\"1\",\"room:crash\",\"phx_error\",{}]"), frame(a));
      // the session and its other join live on
      a.sendText("[\"2\",\"4\",\"room:other\",\"msg\",{\"still\":\"here\"}]");
      List<JsonNode> got = List.of(frame(a), frame(a));
      assertTrue(got.contains(JSON.readTree("[null,null,\"room:other\",\"msg\",{\"still\":\"here\"}]")), got.toString());
      // and the crashed topic can be joined again (what phoenix.js does after phx_error)
      join(a, "room:crash", "5");
      a.sendText("[\"5\",\"6\",\"room:crash\",\"msg\",{}]");
      List<JsonNode> again = List.of(frame(a), frame(a));
      assertTrue(again.contains(JSON.readTree("[null,null,\"room:crash\",\"msg\",{}]")), again.toString());
    }
  }

  @Test
  void aConnectionThatEndsWhileItsJoinIsUnderWayLeavesNoMemberBehind() throws Exception {
    // a node of its own, so that its member count is this test's alone
    try (ChorusNode own = TestNode.start()) {
      for (int i = 0; i < 20; i++) {
        PhxClient s = PhxClient.connect(own.httpAddress().getPort());
        s.sendText("[\"1\",\"1\",\"room:abandoned\",\"phx_join\",{}]");
        s.close(); // gone before (or while) the room admits the join
      }
      TestNode.await("no member left behind", Duration.ofSeconds(10), () -> membersOf(own) == 0);
    }
  }
}
