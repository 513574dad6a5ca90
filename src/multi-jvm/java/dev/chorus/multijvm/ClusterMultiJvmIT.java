package dev.chorus.multijvm;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.testkit.PhxClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three Chorus JVMs form a cluster; rooms span the nodes with one order for everybody; a
 * publish reaches only nodes with members; and the cluster survives a SIGKILLed node: a client
 * of the dead node rejoins its rooms (whose entities died with it) on a survivor and recovers,
 * in the same epoch, a message it had not read (from the survivors' copies of the history).
 * The steps share one cluster and run in order (the last one kills node 3).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterMultiJvmIT {
  /** Documented in docs/operations.md: a killed node is removed within this time... */
  static final Duration REMOVAL_BOUND = Duration.ofSeconds(12);
  /**
   * ...and every room whose entity lived on it answers the joins sent to it meanwhile and
   * delivers again within this time of the kill. The target is 10 s, met on a quiet machine
   * (7.9-8.9 s, docs/operations.md); on a loaded CI machine the failure detector alone took
   * 3.4-4.6 s (late heartbeats), one run took over 9 s, and this bound leaves room for that.
   */
  static final Duration FAILOVER_BOUND = Duration.ofSeconds(12);
  /** Rooms with their entity on the node that is killed. */
  static final int ROOMS_ON_THE_DEAD_NODE = 5;

  static LocalCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = LocalCluster.start("cluster", 3, List.of(
        // a test publishes 1000 messages from three clients as fast as it can
        "-Dchorus.namespace-defaults.publish-rate=100000", "-Dchorus.namespace-defaults.publish-burst=100000",
        "-Dchorus.connection.inbound-rate=100000", "-Dchorus.connection.inbound-burst=100000"));
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) cluster.close();
  }

  @Test
  @Order(10)
  void threeNodesAreUpMembers() {
    for (NodeProcess n : cluster.nodes) {
      assertEquals(3, cluster.upMembers(n), "node " + n.index + " lists three Up members");
      assertEquals(3, n.metric("chorus_cluster_members{status=\"up\"}"), "node " + n.index + "'s gauge: three Up members");
      assertEquals(0, n.metric("chorus_cluster_unreachable_members"), "node " + n.index + ": none unreachable");
      assertEquals(200, n.get("/alive").status());
      assertEquals(200, n.get("/ready").status());
    }
  }

  @Test
  @Order(20)
  void everySubscriberGetsEveryMessageOnceInTheSameOrder() throws Exception {
    String topic = "room:order";
    List<PhxClient> subscribers = new ArrayList<>();
    List<PhxClient> publishers = new ArrayList<>();
    try {
      for (NodeProcess n : cluster.nodes) {
        for (int i = 0; i < 2; i++) subscribers.add(n.client());
        publishers.add(n.client());
      }
      for (PhxClient c : subscribers) c.join(topic);
      for (PhxClient c : publishers) c.join(topic);

      int total = 1000;
      ExecutorService pool = Executors.newFixedThreadPool(3);
      List<Future<?>> sent = new ArrayList<>();
      for (int p = 0; p < 3; p++) {
        PhxClient publisher = publishers.get(p);
        int from = p;
        sent.add(pool.submit(() -> {
          for (int n = from; n < total; n += 3) publisher.push(topic, "msg", "{\"from\":" + (from + 1) + ",\"n\":" + n + "}");
          return null;
        }));
      }
      for (Future<?> f : sent) f.get();
      pool.shutdown();

      List<String> reference = null;
      List<PhxClient> everyone = new ArrayList<>(subscribers);
      everyone.addAll(publishers);
      for (PhxClient c : everyone) {
        List<String> order = new ArrayList<>();
        for (JsonNode b : c.broadcasts(topic, total, Duration.ofSeconds(60))) order.add(b.path(4).path("n").asText());
        assertEquals(total, order.stream().distinct().count(), c.name() + ": every message exactly once");
        if (reference == null) reference = order;
        else assertEquals(reference, order, c.name() + " sees the same order as " + everyone.get(0).name());
      }
    } finally {
      for (PhxClient c : subscribers) c.close();
      for (PhxClient c : publishers) c.close();
    }
  }

  @Test
  @Order(30)
  void aPublishGoesOnlyToNodesWithMembers() throws Exception {
    NodeProcess node1 = cluster.node(1), node2 = cluster.node(2), node3 = cluster.node(3);
    // A room whose entity (sequencer) is not on node 3, so node 3 has no part in it at all.
    try (PhxClient subscriber = node2.client(); PhxClient publisher = node1.client()) {
      String topic = Shards.topicWithEntity("room:only-on-2-", node3, false, subscriber);
      publisher.join(topic);
      double receivedBefore = node3.metric("chorus_cross_node_deliveries_received_total");
      double publishesBefore = node3.metric("chorus_publishes_total");
      for (int n = 0; n < 50; n++) publisher.push(topic, "msg", "{\"n\":" + n + "}");
      assertEquals(50, subscriber.broadcasts(topic, 50, Duration.ofSeconds(30)).size());
      assertEquals(receivedBefore, node3.metric("chorus_cross_node_deliveries_received_total"),
          "node 3, without members of " + topic + ", received none of its publishes");
      assertEquals(publishesBefore, node3.metric("chorus_publishes_total"), "node 3 sequenced none of them");
      assertTrue(node2.metric("chorus_cross_node_deliveries_received_total") > 0 || Shards.hosts(node2, topic),
          "node 2 got the publishes from another node unless it hosts the room itself");
    }
  }

  @Test
  @Order(35)
  void aBackendPublishReachesSubscribersOnEveryNode() throws Exception {
    String topic = "room:from-backend";
    List<PhxClient> subscribers = new ArrayList<>();
    try {
      for (NodeProcess n : cluster.nodes) {
        PhxClient c = n.client();
        c.join(topic);
        subscribers.add(c);
      }
      NodeProcess.Response r = cluster.node(1).apiPost("/api/publish",
          "{\"topic\":\"" + topic + "\",\"event\":\"notice\",\"payload\":{\"from\":\"backend\"}}");
      assertEquals(200, r.status(), r.body());
      for (PhxClient c : subscribers) {
        JsonNode got = c.broadcasts(topic, 1, Duration.ofSeconds(10)).get(0);
        assertEquals("notice", got.path(3).asText());
        assertEquals("backend", got.path(4).path("from").asText(), c.name());
      }
    } finally {
      for (PhxClient c : subscribers) c.close();
    }
  }

  /**
   * POST /api/subscribe on node 1 reaches the user's connection on node 2 (node 1 asks every
   * node's UserSubscriptions); a publish through node 3 then reaches that connection and not
   * another user's beside it; /api/unsubscribe through node 3 ends it.
   */
  @Test
  @Order(36)
  void aServerSideSubscriptionReachesTheUsersConnectionOnAnotherNode() throws Exception {
    String topic = "room:server-side";
    NodeProcess node2 = cluster.node(2);
    try (PhxClient ada = PhxClient.connect(node2.placement.wsHost(), node2.wsPort, PhxClient.VSN + "&user=ada", 0)
             .named("ada on node 2").withWait(Duration.ofSeconds(15));
         PhxClient bob = PhxClient.connect(node2.placement.wsHost(), node2.wsPort, PhxClient.VSN + "&user=bob", 0)
             .named("bob on node 2").withWait(Duration.ofSeconds(15))) {
      String body = "{\"user\":\"ada\",\"topic\":\"" + topic + "\"}";
      JsonNode answer = untilAConnectionIsTold(cluster.node(1), "/api/subscribe", body);
      assertEquals(1, answer.path("nodes").asInt(), answer.toString());
      ada.expect("the server join's ok", f -> PhxClient.isReply(f) && topic.equals(f.path(2).asText())
          && f.path(0).asText().startsWith("srv:") && "ok".equals(PhxClient.status(f)), Duration.ofSeconds(15));

      NodeProcess.Response published = cluster.node(3).apiPost("/api/publish",
          "{\"topic\":\"" + topic + "\",\"event\":\"notice\",\"payload\":{\"to\":\"ada\"}}");
      assertEquals(200, published.status(), published.body());
      assertEquals("ada", ada.broadcasts(topic, 1, Duration.ofSeconds(15)).get(0).path(4).path("to").asText());
      // bob's queue is in order: once his own message is back, anything of topic would be before it
      bob.join("room:bob-own");
      bob.pushOk("room:bob-own", "mark", "{}");
      bob.broadcasts("room:bob-own", 1, Duration.ofSeconds(15));
      assertEquals(0, bob.count(f -> topic.equals(f.path(2).asText())), bob.buffered().toString());

      untilAConnectionIsTold(cluster.node(3), "/api/unsubscribe", body); // a CI run's one call reached none
      ada.expect("phx_close of the server join", f -> topic.equals(f.path(2).asText())
          && "phx_close".equals(f.path(3).asText()), Duration.ofSeconds(15));
    }
  }

  /**
   * GET /api/topics on node 1 sums a topic's members over the three nodes (each node's page of
   * topics crosses the cluster link, Jackson CBOR), and pages with its cursor.
   */
  @Test
  @Order(37)
  void theTopicListingCountsMembersOnEveryNode() throws Exception {
    List<PhxClient> members = new ArrayList<>();
    try {
      for (NodeProcess n : cluster.nodes) {
        PhxClient c = n.client();
        c.join("room:listed-1");
        members.add(c);
      }
      PhxClient extra = cluster.node(2).client();
      members.add(extra);
      extra.join("room:listed-1");
      extra.join("room:listed-2");
      var json = new com.fasterxml.jackson.databind.ObjectMapper();
      NodeProcess.Response r = cluster.node(1).apiGet("/api/topics?namespace=room&limit=1&after=room:listed-0");
      assertEquals(200, r.status(), r.body());
      JsonNode page = json.readTree(r.body());
      assertEquals(3, page.path("answered").asInt(), page.toString());
      assertEquals("room:listed-1", page.path("topics").path(0).path("topic").asText(), page.toString());
      assertEquals(4, page.path("topics").path(0).path("members").asInt(), page.toString());
      assertEquals(3, page.path("topics").path(0).path("nodes").asInt(), page.toString());
      assertEquals("room:listed-1", page.path("next").asText(), page.toString());
      JsonNode next = json.readTree(cluster.node(1).apiGet("/api/topics?namespace=room&limit=1&after=room:listed-1").body());
      assertEquals("room:listed-2", next.path("topics").path(0).path("topic").asText(), next.toString());
      assertEquals(1, next.path("topics").path(0).path("nodes").asInt(), next.toString());
    } finally {
      for (PhxClient c : members) c.close();
    }
  }

  /**
   * Calls {@code path} (subscribe or unsubscribe, idempotent) on {@code node} until it told a
   * connection: the node's receptionist listing of the others is eventually consistent, and a
   * call that reached no node holding one says connections 0.
   */
  private static JsonNode untilAConnectionIsTold(NodeProcess node, String path, String body) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    JsonNode answer;
    do {
      NodeProcess.Response r = node.apiPost(path, body);
      assertEquals(200, r.status(), r.body());
      answer = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    } while (answer.path("connections").asInt() == 0 && System.nanoTime() < deadline && sleep(200));
    assertEquals(1, answer.path("connections").asInt(), path + ": " + answer);
    return answer;
  }

  private static boolean sleep(long millis) throws InterruptedException {
    Thread.sleep(millis); // between retries of an idempotent call, while the receptionist catches up
    return true;
  }

  @Test
  @Order(40)
  void aClientRecoversWhatItMissedThroughAnotherNode() throws Exception {
    String topic = "room:recover-across";
    try (PhxClient publisher = cluster.node(2).client()) {
      publisher.join(topic);
      String position;
      try (PhxClient first = cluster.node(1).client()) {
        first.join(topic);
        for (int n = 0; n < 100; n++) publisher.push(topic, "msg", "{\"n\":" + n + "}");
        List<JsonNode> seen = first.broadcasts(topic, 40, Duration.ofSeconds(20));
        position = seen.get(seen.size() - 1).path(1).asText(); // "<epoch>:<seq>" of the last one read
      } // drops after 40 of 100
      // 120 in all: the room keeps the last 100 (history-size), so everything after 40 is there
      for (int n = 100; n < 120; n++) publisher.push(topic, "msg", "{\"n\":" + n + "}");
      String[] at = position.split(":");
      try (PhxClient again = cluster.node(3).client()) {
        JsonNode response = again.join(topic, "1", "{\"since\":{\"epoch\":\"" + at[0] + "\",\"seq\":" + at[1] + "}}");
        assertTrue(response.path("recovered").asBoolean(), response.toString());
        long last = Long.parseLong(at[1]);
        List<JsonNode> rest = again.broadcasts(topic, (int) (120 - last), Duration.ofSeconds(30));
        for (int i = 0; i < rest.size(); i++) {
          assertEquals(at[0] + ":" + (last + 1 + i), rest.get(i).path(1).asText(), "in order, no gap, no duplicate");
        }
      }
    }
  }

  @Test
  @Order(50)
  void theClusterSurvivesASigkilledNode() throws Exception {
    NodeProcess node1 = cluster.node(1), node2 = cluster.node(2), node3 = cluster.node(3);
    try (PhxClient subscriber = node2.client();
        PhxClient publisher = node1.client();
        PhxClient onTheDoomedNode = node3.client()) {
      // Rooms whose entity lives on node 3, with members on every node.
      List<String> topics = new ArrayList<>();
      List<String> sinces = new ArrayList<>(); // where the doomed node's client stands in each
      for (int k = 0; k < ROOMS_ON_THE_DEAD_NODE; k++) {
        String topic = Shards.topicWithEntity("room:on-3-" + k + "-", node3, true, subscriber);
        publisher.join(topic);
        onTheDoomedNode.join(topic);
        publisher.push(topic, "msg", "{\"n\":-1}");
        subscriber.broadcasts(topic, 1, Duration.ofSeconds(10));
        String[] at = onTheDoomedNode.broadcasts(topic, 1, Duration.ofSeconds(10)).get(0).path(1).asText().split(":");
        sinces.add("{\"since\":{\"epoch\":\"" + at[0] + "\",\"seq\":" + at[1] + "}}");
        topics.add(topic);
      }
      // One more message in each that the doomed node's client will not have read: it must
      // recover it, though the room's history died with node 3 (the survivors keep copies).
      for (String topic : topics) {
        publisher.push(topic, "msg", "{\"n\":-2}");
        subscriber.broadcasts(topic, 1, Duration.ofSeconds(10));
      }

      long killed = System.nanoTime();
      node3.kill();
      // Its client reconnects to a survivor at once and joins every room again, as phoenix.js
      // does: each join is held (and sent again) until its room serves on a survivor, then answered.
      try (PhxClient reconnected = node1.client()) {
        for (int k = 0; k < topics.size(); k++) reconnected.sendJoin(topics.get(k), "again-" + k, sinces.get(k));
        // What the alert ChorusMembersUnreachable watches: between the failure detector's verdict
        // and the downing (stable-after, 3 s) a survivor counts node 3 unreachable.
        cluster.await("node 1 counts node 3 unreachable on /metrics before it is downed", REMOVAL_BOUND,
            () -> node1.metric("chorus_cluster_unreachable_members") == 1);
        cluster.await("node 3 removed from the survivors' membership", REMOVAL_BOUND, () ->
            List.of(node1, node2).stream().allMatch(n -> cluster.upMembers(n) == 2 && !cluster.members(n).toString().contains(node3.address())));
        Duration removal = Duration.ofNanos(System.nanoTime() - killed);
        for (NodeProcess s : List.of(node1, node2)) {
          cluster.await("survivor " + s.index + "'s gauges: two Up members, none unreachable", Duration.ofSeconds(5),
              () -> s.metric("chorus_cluster_members{status=\"up\"}") == 2 && s.metric("chorus_cluster_unreachable_members") == 0);
        }

        long slowest = 0;
        for (int k = 0; k < topics.size(); k++) {
          String topic = topics.get(k);
          JsonNode reply = reconnected.reply("again-" + k);
          JsonNode response = reply.get(4).path("response");
          if (!"ok".equals(PhxClient.status(reply))) {
            // Held for join-timeout (9 s) and the room not back yet: phoenix.js rejoins, so do we.
            assertEquals("join timed out", PhxClient.reason(reply), topic + ": " + reply + "\n" + cluster.logTails());
            response = reconnected.join(topic, "again-" + k + "-retry", sinces.get(k));
          }
          // Same epoch, nothing lost: the missed message is replayed first.
          assertTrue(response.path("recovered").asBoolean(), topic + ": " + response);
          assertEquals("-2", reconnected.broadcasts(topic, 1, Duration.ofSeconds(10)).get(0).path(4).path("n").asText(), topic);
          // The room delivers again, to the members it kept and to the one that came back.
          publisher.push(topic, "msg", "{\"n\":\"after\"}");
          for (PhxClient c : List.of(subscriber, reconnected)) {
            List<JsonNode> got;
            do {
              got = c.broadcasts(topic, 1, Duration.ofSeconds(10));
            } while (!got.get(0).path(4).path("n").asText().equals("after"));
          }
          slowest = Math.max(slowest, System.nanoTime() - killed);
        }
        Duration failover = Duration.ofNanos(slowest);
        System.out.printf("node loss: removed after %d ms, %d rooms of the dead node joined and delivering again after %d ms%n",
            removal.toMillis(), topics.size(), failover.toMillis());
        assertTrue(failover.compareTo(FAILOVER_BOUND) <= 0,
            "rooms of the dead node served again after " + failover.toMillis() + " ms, over " + FAILOVER_BOUND + "\n" + cluster.logTails());
      }
      for (NodeProcess s : List.of(node1, node2)) assertEquals(200, s.get("/ready").status(), "survivor " + s.index + " is ready");
    }
  }
}
