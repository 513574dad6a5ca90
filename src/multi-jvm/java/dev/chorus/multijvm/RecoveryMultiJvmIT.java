package dev.chorus.multijvm;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.testkit.PhxClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Messages between nodes, and joins whose room is on another node, with three real JVMs at
 * their default settings (but for a namespace {@code wide} whose events may be long, and a
 * frame limit to carry them):
 *
 * <ol>
 *   <li>a member on node 1 recovers the full default history (100 messages of 16 KiB, 1.6 MiB)
 *       of a room whose entity is on node 2: the replay crosses in pages under Artery's 256 KiB
 *       frame (once it was one message, dropped: the join hung, the history API answered 500,
 *       and the local room leaked), and goes to the client at its pace, larger than its 1 MiB
 *       queue; the history API of node 1 answers the same history;
 *   <li>a push whose event is 20 000 emoji (80 KB of UTF-8) crosses nodes (once writeUTF
 *       failed on it, with an ERROR per message, and it was lost);
 *   <li>a join whose room entity is on a node that answers nothing (SIGSTOPped) and is not
 *       downed (this cluster's split brain resolver waits a minute; by default the node would be
 *       downed and the join answered by the room's next incarnation, ClusterMultiJvmIT) ends with
 *       "join timed out" within chorus.room.join-timeout (9 s), its retries included, and the
 *       local room it made is gone; a witness in a room of a live node keeps receiving meanwhile.
 * </ol>
 *
 * The steps share one cluster and run in order (the last one stops node 3).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RecoveryMultiJvmIT {
  static final ObjectMapper JSON = new ObjectMapper();
  /** reference.conf's chorus.room.join-timeout. */
  static final Duration JOIN_TIMEOUT = Duration.ofSeconds(9);

  static LocalCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = LocalCluster.start("recovery", 3, List.of(
        // the stopped node of the last step stays unreachable, not downed, for the whole step
        "-Dpekko.cluster.split-brain-resolver.stable-after=60s",
        "-Dchorus.connection.max-frame-bytes=128KiB",
        "-Dchorus.namespaces.wide.max-event-bytes=100000", "-Dchorus.namespaces.wide.max-message-bytes=120000"));
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) cluster.close();
  }

  /** A payload that makes a push's whole frame just under 16 KiB (max-message-bytes). */
  static String payload(int n) {
    return "{\"n\":" + n + ",\"b\":\"" + "x".repeat(16 * 1024 - 120) + "\"}";
  }

  static NodeProcess.Response apiGet(NodeProcess node, String path) throws Exception {
    var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(
            "http://" + node.placement.managementHost() + ":" + node.managementPort + path))
        .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + NodeProcess.API_KEY).GET().build();
    var r = java.net.http.HttpClient.newHttpClient().send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
    return new NodeProcess.Response(r.statusCode(), r.body());
  }

  @Test
  @Order(10)
  void theFullDefaultHistoryIsRecoveredThroughAnotherNode() throws Exception {
    NodeProcess node1 = cluster.node(1), node2 = cluster.node(2);
    try (PhxClient placer = node2.client(); PhxClient publisher = node2.client()) {
      String topic = Shards.topicWithEntity("room:far-", node2, true, placer); // the entity is on node 2
      publisher.join(topic, "1", "{}");
      String epoch;
      long from;
      try (PhxClient first = node1.client()) {
        JsonNode joined = first.join(topic, "1", "{}");
        epoch = joined.path("epoch").asText();
        from = joined.path("seq").asLong();
      } // node 1's member drops before the 100 messages
      for (int i = 0; i < 100; i++) {
        publisher.pushOk(topic, "big", payload(i));
        publisher.broadcasts(topic, 1, Duration.ofSeconds(10));
        placer.broadcasts(topic, 1, Duration.ofSeconds(10)); // a member too: it reads
      }
      try (PhxClient again = node1.client()) {
        JsonNode response = again.join(topic, "1", "{\"since\":{\"epoch\":\"" + epoch + "\",\"seq\":" + from + "}}");
        assertTrue(response.path("recovered").asBoolean(), response.toString());
        publisher.push(topic, "live", "{\"n\":100}");
        List<JsonNode> got = again.broadcasts(topic, 101, Duration.ofSeconds(60));
        for (int i = 0; i <= 100; i++) {
          assertEquals(epoch + ":" + (from + 1 + i), got.get(i).path(1).asText(), "every missed message once, in order, then live");
          assertEquals(i, got.get(i).path(4).path("n").asInt());
        }
        again.assertHeartbeatAnswered(); // not closed as a slow consumer
      }
      // The history keeps the last 100 (history-size): the live one pushed out the first.
      NodeProcess.Response history = apiGet(node1, "/api/history/" + topic + "?since=" + from);
      assertEquals(200, history.status(), history.body().substring(0, Math.min(300, history.body().length())));
      JsonNode messages = JSON.readTree(history.body()).path("messages");
      assertEquals(100, messages.size());
      for (int i = 0; i < 100; i++) assertEquals(from + 2 + i, messages.path(i).path("seq").asLong());
    }
  }

  @Test
  @Order(20)
  void aPushWithALongNonBmpEventCrossesNodes() throws Exception {
    NodeProcess node1 = cluster.node(1), node2 = cluster.node(2);
    try (PhxClient placer = node2.client(); PhxClient pusher = node1.client()) {
      String topic = Shards.topicWithEntity("wide:emoji-", node2, true, placer);
      pusher.join(topic, "1", "{}");
      String event = "\ud83d\ude00".repeat(20_000); // 80 000 bytes of UTF-8: over writeUTF's 65 535
      pusher.pushOk(topic, event, "{\"k\":\"v\"}"); // node 1 -> the entity on node 2 -> node 1
      JsonNode got = pusher.broadcasts(topic, 1, Duration.ofSeconds(10)).get(0);
      assertEquals(event, got.path(3).asText());
      assertEquals(event, placer.broadcasts(topic, 1, Duration.ofSeconds(10)).get(0).path(3).asText());
      for (NodeProcess n : List.of(node1, node2)) assertFalse(n.logText().contains("UTFDataFormatException"), "node " + n.index);
    }
  }

  @Test
  @Order(30)
  void aJoinWhoseRoomIsOnAnUnreachableNodeEndsWithinItsTimeoutAndLeavesNothing() throws Exception {
    NodeProcess node1 = cluster.node(1), node3 = cluster.node(3);
    try (PhxClient witness = node1.client(); PhxClient publisher = node1.client(); PhxClient placer = node3.client()) {
      String witnessRoom = Shards.topicWithEntity("room:near-", node1, true, witness); // on a node that stays
      publisher.join(witnessRoom, "1", "{}");
      String frozen = Shards.topicWithEntity("room:frozen-", node3, true, placer);
      double timedOutBefore = Math.max(0, node1.metric("chorus_join_refusals_total{reason=\"join_timed_out\"}"));

      node3.pause();
      try (PhxClient joiner = node1.client()) {
        long start = System.nanoTime();
        joiner.sendJoin(frozen, "1", "{}");
        // the witness keeps receiving while the join is under way
        for (int i = 0; i < 5; i++) {
          publisher.pushOk(witnessRoom, "msg", "{\"i\":" + i + "}");
          assertEquals(i, witness.broadcasts(witnessRoom, 1, Duration.ofSeconds(5)).get(0).path(4).path("i").asInt());
        }
        JsonNode reply = joiner.reply("1");
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals("error", PhxClient.status(reply), reply.toString());
        assertEquals("join timed out", PhxClient.reason(reply));
        assertTrue(tookMs < JOIN_TIMEOUT.toMillis() + 2_000, "ended within the join timeout: " + tookMs + " ms");
        System.out.printf("unreachable room: the join ended after %d ms%n", tookMs);
        joiner.assertHeartbeatAnswered();
      }
      assertEquals(timedOutBefore + 1, node1.metric("chorus_join_refusals_total{reason=\"join_timed_out\"}"));
      cluster.await("node 1's local room of " + frozen + " gone", Duration.ofSeconds(5), () -> {
        NodeProcess.Response rooms = node1.adminGet("/admin/rooms?limit=1000");
        return rooms.status() == 200 && !rooms.body().contains(frozen);
      });
      publisher.pushOk(witnessRoom, "msg", "{\"i\":\"after\"}");
      assertEquals("after", witness.broadcasts(witnessRoom, 1, Duration.ofSeconds(5)).get(0).path(4).path("i").asText());
    } finally {
      if (node3.alive()) node3.resume();
    }
  }
}
