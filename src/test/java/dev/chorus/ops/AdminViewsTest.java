package dev.chorus.ops;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.room.LocalRooms;
import dev.chorus.room.Position;
import dev.chorus.room.RoomEntity;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The admin API's cluster-wide bodies from the nodes' answers, including nodes that did not answer. */
class AdminViewsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String A = "pekko://chorus@10.0.0.1:25520", B = "pekko://chorus@10.0.0.2:25520", C = "pekko://chorus@10.0.0.3:25520";

  static JsonNode tree(Object body) {
    return JSON.valueToTree(body);
  }

  static NodeStats stats(int connections) {
    return new NodeStats("0.1.0-SNAPSHOT", 12.5, connections, 1, 2, 3, false, 100, 200, 50, 4, 0.25, 0.5, 2);
  }

  @Test
  void nodesListsEveryMemberWithItsStatsOrNull() {
    List<AdminViews.Member> members = List.of(
        new AdminViews.Member(A, "Up", true, List.of("dc-default"), true, true),
        new AdminViews.Member(B, "Up", false, List.of("dc-default"), false, false),
        new AdminViews.Member(C, "Joining", true, List.of("dc-default"), false, false));
    List<EveryNode.Answer<NodeStatus.Stats>> answers = List.of(
        new EveryNode.Answer<>(A, Optional.of(new NodeStatus.Stats(A, stats(3)))),
        new EveryNode.Answer<>(B, Optional.empty()),
        new EveryNode.Answer<>(C, Optional.of(new NodeStatus.Stats(C, stats(0)))));
    JsonNode body = tree(AdminViews.nodes(A, members, answers));
    assertEquals(A, body.path("self").asText());
    assertEquals(3, body.path("asked").asInt());
    assertEquals(2, body.path("answered").asInt());
    JsonNode a = body.path("nodes").path(0);
    assertEquals(A, a.path("address").asText());
    assertEquals("Up", a.path("status").asText());
    assertTrue(a.path("reachable").asBoolean());
    assertEquals("dc-default", a.path("roles").path(0).asText());
    assertTrue(a.path("leader").asBoolean());
    assertTrue(a.path("oldest").asBoolean());
    assertEquals(3, a.path("stats").path("connections").asInt());
    for (String field : List.of("version", "uptime_seconds", "connections", "longpoll_sessions", "rooms", "room_entities",
        "draining", "heap_used_bytes", "heap_max_bytes", "heap_after_gc_bytes", "gc_count", "gc_seconds", "cpu_cores_used", "cpus")) {
      assertTrue(a.path("stats").has(field), field);
    }
    JsonNode b = body.path("nodes").path(1);
    assertFalse(b.path("reachable").asBoolean());
    assertTrue(b.has("stats") && b.path("stats").isNull(), "a node that did not answer has stats null");
    assertEquals("Joining", body.path("nodes").path(2).path("status").asText());
  }

  @Test
  void theStreamsEventsCarryEachNodesSamples() {
    Sample s = new Sample(1000, 2, 0, 0, 0, null, null, 0, Map.of(), 0, 1, 0.1);
    JsonNode history = tree(AdminViews.history(Duration.ofSeconds(1), List.of(
        new EveryNode.Answer<>(A, Optional.of(new NodeStatus.Samples(A, List.of(s, s)))),
        new EveryNode.Answer<>(B, Optional.empty()))));
    assertEquals(1000, history.path("interval_ms").asInt());
    assertEquals(2, history.path("nodes").path(A).size());
    assertEquals(2, history.path("nodes").path(A).path(1).path("connections").asInt());
    assertFalse(history.path("nodes").has(B), "a node that did not answer has no history to show");

    JsonNode sample = tree(AdminViews.sample(5000, List.of(
        new EveryNode.Answer<>(A, Optional.of(new NodeStatus.Latest(A, s))),
        new EveryNode.Answer<>(B, Optional.empty()),
        new EveryNode.Answer<>(C, Optional.of(new NodeStatus.Latest(C, null))))));
    assertEquals(5000, sample.path("t").asLong());
    assertEquals(2, sample.path("nodes").path(A).path("connections").asInt());
    assertTrue(sample.path("nodes").path(B).isNull(), "did not answer in time: null");
    assertTrue(sample.path("nodes").path(C).isNull(), "no sample yet: null");
  }

  @Test
  void theTopicInspectorLeavesOutNodesWithoutMembers() {
    JsonNode body = tree(AdminViews.topic("room:lobby",
        Optional.of(new RoomEntity.Inspection(B, new Position("k3j", 12), 3, 12, 2048)),
        List.of(Optional.of(new LocalRooms.TopicMembers(B, "room:lobby", 1)), Optional.empty(),
            Optional.of(new LocalRooms.TopicMembers(A, "room:lobby", 2)), Optional.of(new LocalRooms.TopicMembers(C, "room:lobby", 0)))));
    assertEquals("room:lobby", body.path("topic").asText());
    JsonNode entity = body.path("entity");
    assertEquals(B, entity.path("node").asText());
    assertEquals("k3j", entity.path("epoch").asText());
    assertEquals(12, entity.path("seq").asLong());
    assertEquals(3, entity.path("members").asInt());
    assertEquals(12, entity.path("history_messages").asInt());
    assertEquals(2048, entity.path("history_bytes").asLong());
    assertEquals(2, body.path("nodes").size());
    assertEquals(A, body.path("nodes").path(0).path("node").asText());
    assertEquals(2, body.path("nodes").path(0).path("members").asInt());
    assertEquals(4, body.path("asked").asInt());
    assertEquals(3, body.path("answered").asInt());

    JsonNode noEntity = tree(AdminViews.topic("room:x", Optional.empty(), List.of()));
    assertTrue(noEntity.has("entity") && noEntity.path("entity").isNull());
  }

  @Test
  void theUserLookupListsOnlyNodesWithConnections() {
    UserLookup.Connection ws = new UserLookup.Connection("00000000000000ab", "websocket", List.of("room:lobby"), 12.5);
    UserLookup.Connection lp = new UserLookup.Connection("00000000000000ac", "longpoll", List.of(), 1.0);
    JsonNode body = tree(AdminViews.user("ada", List.of(
        Optional.of(new UserLookup.Found(B, List.of(ws, lp))), Optional.of(new UserLookup.Found(A, List.of())), Optional.empty())));
    assertEquals("ada", body.path("user").asText());
    assertEquals(2, body.path("connections").asInt());
    assertEquals(3, body.path("asked").asInt());
    assertEquals(2, body.path("answered").asInt());
    assertEquals(1, body.path("nodes").size());
    JsonNode conn = body.path("nodes").path(0).path("connections").path(0);
    assertEquals(B, body.path("nodes").path(0).path("node").asText());
    assertEquals("00000000000000ab", conn.path("conn_id").asText());
    assertEquals("websocket", conn.path("transport").asText());
    assertEquals("room:lobby", conn.path("topics").path(0).asText());
    assertEquals(12.5, conn.path("connected_seconds").asDouble());
  }
}
