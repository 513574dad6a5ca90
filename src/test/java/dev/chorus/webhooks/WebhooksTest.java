package dev.chorus.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.FreePorts;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import dev.chorus.testkit.WebhookBackend;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Webhooks from one node to a real HTTP backend (the JDK's HttpServer), driven by real
 * WebSocket clients: occupancy, users with the leave debounce, client events, the signature,
 * retries, and the queue's bound with the backend down.
 */
class WebhooksTest {
  static final Duration WAIT = Duration.ofSeconds(20);
  static WebhookBackend backend;
  static ChorusNode node;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    backend = new WebhookBackend("s3cret");
    node = TestNode.start("""
        chorus.webhooks {
          url = "%s"
          secret = "s3cret"
          batch-interval = 50 ms
          backoff-min = 100 ms
          backoff-max = 400 ms
          user-left-delay = 1 s
        }
        chorus.namespaces.room.webhooks.client-events = ["typing"]
        chorus.namespaces.quiet.webhooks.events = []
        """.formatted(backend.url()));
    port = node.httpAddress().getPort();
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
    backend.close();
  }

  static PhxClient connect(String user) throws IOException {
    return PhxClient.connect(port, PhxClient.VSN + "&user=" + user).named(user);
  }

  static void awaitEvents(String topic, List<String> expected) throws InterruptedException {
    TestNode.await(topic + " events " + expected, WAIT, Duration.ofMillis(20),
        () -> backend.delivered(topic).size() >= expected.size(), () -> "delivered: " + backend.delivered(topic));
    assertEquals(expected, backend.delivered(topic));
  }

  static void leave(PhxClient client, String topic) throws IOException {
    String ref = client.push(topic, "phx_leave", "{}");
    assertEquals("ok", PhxClient.status(client.reply(ref)));
  }

  @Test
  void occupiedAndVacatedWithTheUsersSignedAndWithIds() throws Exception {
    String topic = "room:wh-occupancy";
    try (PhxClient ann = connect("ann")) {
      ann.join(topic);
      awaitEvents(topic, List.of("topic_occupied", "user_joined ann"));
    }
    // Her connection closed: her leave is not held back, the topic being vacated.
    awaitEvents(topic, List.of("topic_occupied", "user_joined ann", "user_left ann", "topic_vacated"));
    Set<String> ids = new HashSet<>();
    for (JsonNode e : backend.delivered()) {
      if (!topic.equals(e.path("topic").asText())) continue;
      assertTrue(ids.add(e.path("id").asText()), "ids are unique: " + e);
      assertTrue(e.path("ts").asLong() > 0, e.toString());
    }
    assertEquals(4, ids.size());
    for (WebhookBackend.Request r : backend.requests()) {
      assertTrue(r.signatureValid(), "signed with the secret: " + r);
      assertEquals(r.requestId(), r.body().path("request_id").asText());
      assertFalse(r.body().path("node").asText().isEmpty());
      assertTrue(r.body().path("ts").asLong() > 0);
    }
  }

  @Test
  void aUserWhoLeavesAndComesBackWithinTheDelayProducesNothing() throws Exception {
    String topic = "room:wh-flap";
    try (PhxClient witness = connect("wit"); PhxClient ann = connect("ann"); PhxClient annTab = connect("ann")) {
      witness.join(topic);
      ann.join(topic);
      awaitEvents(topic, List.of("topic_occupied", "user_joined wit", "user_joined ann"));
      annTab.join(topic);
      for (int i = 0; i < 5; i++) { // flapping: her only connection... then her second tab too
        leave(ann, topic);
        ann.join(topic);
      }
      leave(ann, topic);
      leave(annTab, topic);
      annTab.join(topic);
      leave(annTab, topic); // gone for good: user_left after the delay
      awaitEvents(topic, List.of("topic_occupied", "user_joined wit", "user_joined ann", "user_left ann"));
    }
    awaitEvents(topic, List.of("topic_occupied", "user_joined wit", "user_joined ann", "user_left ann", "user_left wit",
        "topic_vacated"));
  }

  @Test
  void pushesOfListedEventsAreClientEventsOnceSequenced() throws Exception {
    String topic = "room:wh-client";
    try (PhxClient ann = connect("ann")) {
      ann.join(topic);
      ann.pushOk(topic, "typing", "{\"text\":\"one\"}");
      ann.pushOk(topic, "msg", "{\"text\":\"not listed\"}");
      ann.pushOk(topic, "typing", "{\"text\":\"two\"}");
      awaitEvents(topic, List.of("topic_occupied", "user_joined ann", "client_event ann", "client_event ann"));
      List<JsonNode> typing = backend.delivered().stream()
          .filter(e -> topic.equals(e.path("topic").asText()) && "client_event".equals(e.path("name").asText())).toList();
      assertEquals("typing", typing.get(0).path("event").asText());
      assertEquals("one", typing.get(0).path("payload").path("text").asText());
      assertEquals("two", typing.get(1).path("payload").path("text").asText());
      assertEquals(typing.get(0).path("seq").asLong() + 2, typing.get(1).path("seq").asLong(), "the seqs the pushes were given");
    }
    awaitEvents(topic, List.of("topic_occupied", "user_joined ann", "client_event ann", "client_event ann", "user_left ann",
        "topic_vacated"));
  }

  @Test
  void aNamespaceWithoutEventsSendsNone() throws Exception {
    try (PhxClient ann = connect("ann")) {
      ann.join("quiet:a");
      ann.join("room:wh-after-quiet"); // events are in order: once this one's are in, quiet:a would have been
      awaitEvents("room:wh-after-quiet", List.of("topic_occupied", "user_joined ann"));
      assertEquals(List.of(), backend.delivered("quiet:a"));
    }
    awaitEvents("room:wh-after-quiet", List.of("topic_occupied", "user_joined ann", "user_left ann", "topic_vacated"));
  }

  @Test
  void aFailedBatchIsSentAgainWithTheSameIds() throws Exception {
    String topic = "room:wh-retry";
    double failedBefore = sample(scrape(node), "chorus_webhook_failed_attempts_total{kind=\"status_5xx\"}");
    backend.answer(500, 500);
    try (PhxClient ann = connect("ann")) {
      ann.join(topic);
      awaitEvents(topic, List.of("topic_occupied", "user_joined ann"));
    }
    awaitEvents(topic, List.of("topic_occupied", "user_joined ann", "user_left ann", "topic_vacated"));
    List<WebhookBackend.Request> attempts = backend.requests().stream()
        .filter(r -> r.body().path("events").path(0).path("topic").asText().equals(topic)
            && r.body().path("events").path(0).path("name").asText().equals("topic_occupied"))
        .toList();
    assertEquals(List.of(500, 500, 200), attempts.stream().map(WebhookBackend.Request::answered).toList());
    for (WebhookBackend.Request r : attempts) {
      assertEquals(attempts.get(0).body(), r.body(), "the same body, so the same event ids and request_id");
      assertTrue(r.signatureValid());
    }
    assertTrue(sample(scrape(node), "chorus_webhook_failed_attempts_total{kind=\"status_5xx\"}") >= failedBefore + 2);
  }

  @Test
  void withTheBackendDownTheQueueIsBoundedAndTheNodeGoesOn() throws Exception {
    int nobody = FreePorts.next(); // nothing listens there
    try (ChorusNode lonely = TestNode.start("""
        chorus.webhooks {
          url = "http://127.0.0.1:%d/hooks"
          queue-size = 5
          batch-size = 2
          batch-interval = 20 ms
          max-attempts = 1000
          max-age = 10 m
          backoff-min = 5 s
        }
        """.formatted(nobody))) {
      int lonelyPort = lonely.httpAddress().getPort();
      try (PhxClient witness = PhxClient.connect(lonelyPort, PhxClient.VSN + "&user=wit");
          PhxClient ann = PhxClient.connect(lonelyPort, PhxClient.VSN + "&user=ann")) {
        witness.join("room:witness");
        ann.join("room:witness");
        for (int i = 0; i < 20; i++) {
          ann.join("room:churn-" + i); // topic_occupied and user_joined each
        }
        TestNode.await("events dropped, queue_full", WAIT,
            () -> sample(scrape(lonely), "chorus_webhook_events_dropped_total{reason=\"queue_full\"}") >= 30);
        double dropped = sample(scrape(lonely), "chorus_webhook_events_dropped_total{reason=\"queue_full\"}");
        // 2 + 40 events: 2 in the batch in flight, 5 waiting, the rest dropped
        assertTrue(dropped >= 30, "dropped " + dropped);
        assertTrue(sample(scrape(lonely), "chorus_webhook_queue") <= 5);
        assertTrue(sample(scrape(lonely), "chorus_webhook_failed_attempts_total{kind=\"connect\"}") >= 1);
        // The node and its clients are unaffected
        ann.pushOk("room:witness", "msg", "{\"still\":\"here\"}");
        witness.expect("the witness's broadcast", f -> "msg".equals(f.path(3).asText()), WAIT);
      }
    }
  }

  static String scrape(ChorusNode n) {
    try {
      return HttpClient.newHttpClient().send(HttpRequest.newBuilder(n.managementUri().resolve("/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static double sample(String metrics, String name) {
    for (String line : metrics.split("\n")) {
      if (line.startsWith(name + " ")) return Double.parseDouble(line.substring(name.length() + 1).trim());
    }
    return 0; // a labelled counter shows a label once it has counted
  }
}
