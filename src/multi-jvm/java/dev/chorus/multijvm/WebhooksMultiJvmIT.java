package dev.chorus.multijvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.WebhookBackend;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Webhooks from a cluster of three JVMs to one backend (the test's HttpServer): a topic's
 * members are on every node, one user on all three at once, yet each topic_occupied,
 * topic_vacated, user_joined and user_left arrives exactly once — by id and by content — and
 * all from one node, the one of the topic's room entity.
 */
class WebhooksMultiJvmIT {
  static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void eachEventOnceFromOneNodeAlthoughMembersAreOnEveryNode() throws Exception {
    try (WebhookBackend backend = new WebhookBackend("multi-jvm-secret");
        LocalCluster cluster = LocalCluster.start("webhooks", 3, List.of(
            "-Dchorus.webhooks.url=" + backend.url(), "-Dchorus.webhooks.secret=multi-jvm-secret",
            "-Dchorus.webhooks.batch-interval=50ms", "-Dchorus.webhooks.user-left-delay=1s"))) {
      String topic = "room:everywhere";
      List<PhxClient> own = new ArrayList<>(); // user uN on node N
      List<PhxClient> shared = new ArrayList<>(); // user "shared" on every node
      try {
        for (NodeProcess n : cluster.nodes) {
          own.add(client(n, "u" + n.index));
          shared.add(client(n, "shared"));
        }
        for (int i = 0; i < 3; i++) {
          own.get(i).join(topic);
          shared.get(i).join(topic);
        }
        awaitCount(cluster, backend, topic, 5); // occupied, and four users
        assertEquals(Set.of("topic_occupied", "user_joined u1", "user_joined u2", "user_joined u3", "user_joined shared"),
            Set.copyOf(backend.delivered(topic)));
        assertEquals("topic_occupied", backend.delivered(topic).get(0));

        // Everyone leaves but "shared" on node 3: the three own users go (after the delay), "shared" stays.
        for (PhxClient c : own) c.close();
        shared.get(0).close();
        shared.get(1).close();
        awaitCount(cluster, backend, topic, 8);
        shared.get(2).close();
        awaitCount(cluster, backend, topic, 10);
      } finally {
        for (PhxClient c : own) c.close();
        for (PhxClient c : shared) c.close();
      }
      List<String> events = backend.delivered(topic);
      assertEquals(List.of("topic_occupied", "user_joined u1", "user_joined u2", "user_joined u3", "user_joined shared",
              "user_left u1", "user_left u2", "user_left u3", "user_left shared", "topic_vacated").stream().sorted().toList(),
          events.stream().sorted().toList(), "each event once: " + events);
      assertEquals("topic_vacated", events.get(events.size() - 1));
      assertEquals("user_left shared", events.get(events.size() - 2), "the last user's leave goes before topic_vacated");

      Set<String> ids = new HashSet<>();
      Set<String> senders = new HashSet<>();
      for (WebhookBackend.Request r : backend.requests()) {
        assertTrue(r.signatureValid(), "signed: " + r);
        for (JsonNode e : r.body().path("events")) {
          if (!topic.equals(e.path("topic").asText())) continue;
          assertTrue(ids.add(e.path("id").asText()), "an id twice: " + e);
          senders.add(r.body().path("node").asText());
        }
      }
      assertEquals(10, ids.size());
      assertEquals(1, senders.size(), "one node sends the topic's events: " + senders);
    }
  }

  static PhxClient client(NodeProcess n, String user) throws IOException {
    return PhxClient.connect("127.0.0.1", n.wsPort, PhxClient.VSN + "&user=" + user, 0)
        .named(user + "@node" + n.index).withWait(Duration.ofSeconds(15));
  }

  /**
   * Waits until the backend has {@code count} events of the topic and every node has sent all
   * it queued (sent totals equal what the backend accepted, queues empty): an event one more
   * node made would be there by then.
   */
  static void awaitCount(LocalCluster cluster, WebhookBackend backend, String topic, int count) throws InterruptedException {
    cluster.await(count + " events of " + topic + ", all nodes' queues sent", WAIT, () -> {
      if (backend.delivered(topic).size() < count) return false;
      double sent = 0;
      for (NodeProcess n : cluster.nodes) {
        if (n.metric("chorus_webhook_queue") != 0) return false;
        sent += n.metric("chorus_webhook_events_sent_total");
      }
      return sent == backend.delivered().size();
    });
    assertEquals(count, backend.delivered(topic).size(), "events: " + backend.delivered(topic));
  }
}
