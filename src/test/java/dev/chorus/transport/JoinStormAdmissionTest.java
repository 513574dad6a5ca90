package dev.chorus.transport;

import static dev.chorus.testkit.BadInput.assertErrorReply;
import static dev.chorus.testkit.BadInput.isBroadcast;
import static dev.chorus.testkit.BadInput.joined;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chorus.ChorusNode;
import dev.chorus.metrics.Metrics;
import dev.chorus.room.LocalRooms;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import dev.chorus.testkit.TestNodeExtension;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A reconnect storm: more joins arrive than the node answers, and the clients behind them keep
 * connecting. With {@code chorus.connection.max-joins-in-progress} joins in progress, new
 * upgrades get 503 "overloaded" (with Retry-After), counted, while the connections already open
 * keep working; once the joins end, upgrades get 101 again. Joins are held in progress by the
 * test hook chorus.testing.silent-namespace (its room entity never answers, so a join there ends
 * only by chorus.room.join-timeout or by its connection ending). Each way a join ends gives its
 * place back: answered, refused by the room, timed out, its client gone.
 */
@Timeout(120)
class JoinStormAdmissionTest {
  static final int BOUND = 5;
  static final String CONFIG = """
      chorus.testing.silent-namespace = silent
      chorus.namespaces.silent {}
      chorus.connection.max-joins-in-progress = %d
      chorus.room.join-timeout = %s
      """;
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Pattern RETRY_AFTER = Pattern.compile("(?i)\r\nretry-after: *(\\d+)\r\n");

  /**
   * Joins time out after 10 s: far more than the checks made at the bound take, even on a
   * loaded machine, so the joins are still in progress while they run.
   */
  @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension(CONFIG.formatted(BOUND, "10 s"));

  @BeforeEach
  void nothingInProgress() throws InterruptedException {
    awaitInProgress(NODE.node(), 0);
  }

  static void awaitInProgress(ChorusNode node, long n) throws InterruptedException {
    Metrics metrics = node.metrics();
    TestNode.await(n + " joins in progress (" + metrics.joinsInProgress.get() + " now)", WAIT,
        () -> metrics.joinsInProgress.get() == n);
  }

  /** An upgrade is refused 503 "overloaded", with a Retry-After of 1 to 5 s. */
  static void assertOverloaded(ChorusNode node) {
    PhxClient.UpgradeRefused refused = assertThrows(PhxClient.UpgradeRefused.class,
        () -> PhxClient.connect(node.httpAddress().getPort()).close());
    assertEquals(503, refused.status(), refused.head());
    assertEquals(ConnectionAdmission.OVERLOADED, refused.body());
    Matcher retryAfter = RETRY_AFTER.matcher(refused.head());
    assertTrue(retryAfter.find(), "a Retry-After header: " + refused.head());
    int seconds = Integer.parseInt(retryAfter.group(1));
    assertTrue(seconds >= 1 && seconds <= 5, "Retry-After " + seconds);
  }

  /** An upgrade gets 101. */
  static void assertAdmitted(ChorusNode node) throws IOException {
    PhxClient.connect(node.httpAddress().getPort()).close();
  }

  /** A push of the publisher reaches the witness. */
  static void assertDelivered(String topic, PhxClient publisher, PhxClient witness) throws IOException {
    String id = UUID.randomUUID().toString();
    publisher.pushOk(topic, "check", "{\"id\":\"" + id + "\"}");
    witness.expect("the publisher's push", f -> isBroadcast(f, id));
  }

  /** What /metrics on the management port says of {@code sample} (a whole sample name with its labels). */
  static double scraped(ChorusNode node, String sample) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(node.managementUri().resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    for (String line : r.body().split("\n")) {
      if (line.startsWith(sample + " ")) return Double.parseDouble(line.substring(sample.length() + 1));
    }
    throw new AssertionError("no " + sample + " in /metrics");
  }

  @Test
  void aStormOfPendingJoinsGets503UntilTheyEndWhileOpenConnectionsKeepWorking() throws Exception {
    ChorusNode node = NODE.node();
    int port = NODE.port();
    String room = "room:storm-witness";
    try (PhxClient witness = joined(port, room).withWait(WAIT);
        PhxClient publisher = joined(port, room).withWait(WAIT);
        PhxClient storm = PhxClient.connect(port).withWait(Duration.ofSeconds(30))) {
      awaitInProgress(node, 0); // the witnesses' joins were answered
      for (int j = 0; j < BOUND - 1; j++) storm.sendJoin("silent:storm-" + j, "s" + j, "{}");
      awaitInProgress(node, BOUND - 1);
      assertAdmitted(node); // under the bound

      long refusedBefore = node.metrics().refusedBy("overloaded");
      storm.sendJoin("silent:storm-" + (BOUND - 1), "s" + (BOUND - 1), "{}");
      awaitInProgress(node, BOUND);
      for (int i = 0; i < 3; i++) assertOverloaded(node);
      assertEquals(refusedBefore + 3, node.metrics().refusedBy("overloaded"));
      assertEquals(BOUND, scraped(node, "chorus_joins_in_progress"));
      assertEquals(refusedBefore + 3, scraped(node, "chorus_connections_refused_total{reason=\"overloaded\"}"));

      // The connections already open are untouched: broadcasts, heartbeats, and new joins too.
      assertDelivered(room, publisher, witness);
      storm.assertHeartbeatAnswered();
      publisher.join("room:storm-more");
      assertOverloaded(node);

      // The pending joins time out (chorus.room.join-timeout): their places are given back.
      for (int j = 0; j < BOUND; j++) assertErrorReply(storm.reply("s" + j), "join timed out");
      awaitInProgress(node, 0);
      assertAdmitted(node);
      assertDelivered(room, publisher, witness);
    }
  }

  @Test
  void joinsAnsweredOrRefusedByTheRoomGiveTheirPlacesBack() throws Exception {
    ChorusNode node = NODE.node();
    try (PhxClient c = PhxClient.connect(NODE.port()).withWait(WAIT)) {
      // Sent at once: more than the bound may be in progress together, which an open
      // connection may do; each ends with its answer.
      int accepted = 20, refused = 5;
      for (int j = 0; j < accepted; j++) c.sendJoin("room:answered-" + j, "a" + j, "{}");
      for (int j = 0; j < refused; j++) c.sendJoin("room:refused-" + j, "r" + j, "{\"since\":5}"); // the room refuses it
      for (int j = 0; j < accepted; j++) assertEquals("ok", PhxClient.status(c.reply("a" + j)));
      for (int j = 0; j < refused; j++) assertErrorReply(c.reply("r" + j), "invalid since");
      awaitInProgress(node, 0);
      assertAdmitted(node);
    }
    awaitInProgress(node, 0); // its joined topics were not in progress: nothing more to take out
  }

  @Test
  void aClientThatClosesWhileItsJoinsArePendingGivesTheirPlacesBack() throws Exception {
    // A join timeout the test never reaches: only the client's close can end these joins.
    try (ChorusNode node = TestNode.start(CONFIG.formatted(BOUND, "120 s"))) {
      int port = node.httpAddress().getPort();
      String room = "room:close-witness";
      try (PhxClient witness = joined(port, room).withWait(WAIT); PhxClient publisher = joined(port, room).withWait(WAIT)) {
        PhxClient storm = PhxClient.connect(port).withWait(WAIT);
        for (int j = 0; j < BOUND; j++) storm.sendJoin("silent:gone-" + j, "g" + j, "{}");
        awaitInProgress(node, BOUND);
        assertOverloaded(node);
        storm.close();
        awaitInProgress(node, 0);
        // The rooms still hold those joins (until their timeout); the node no longer waits for them.
        assertEquals(BOUND, silentMembers(node), "the rooms' pending joins are still there");
        assertAdmitted(node);
        assertDelivered(room, publisher, witness);

        // Another client fills the bound again by itself: the first one's joins count no more.
        try (PhxClient again = PhxClient.connect(port).withWait(WAIT)) {
          for (int j = 0; j < BOUND - 1; j++) again.sendJoin("silent:again-" + j, "a" + j, "{}");
          awaitInProgress(node, BOUND - 1);
          assertAdmitted(node);
          again.sendJoin("silent:again-" + (BOUND - 1), "a" + (BOUND - 1), "{}");
          awaitInProgress(node, BOUND);
          assertOverloaded(node);
        }
        awaitInProgress(node, 0);
        assertAdmitted(node);
        assertDelivered(room, publisher, witness);
      }
    }
  }

  /** Members (pending joins count) of the node's local rooms of the silent namespace. */
  private static int silentMembers(ChorusNode node) {
    LocalRooms.Largest largest = AskPattern.<LocalRooms.Command, LocalRooms.Largest>ask(node.localRooms(),
        r -> new LocalRooms.GetLargest(1000, r), Duration.ofSeconds(5), node.system().scheduler()).toCompletableFuture().join();
    return largest.largest().stream().filter(r -> r.topic().startsWith("silent:gone-")).mapToInt(LocalRooms.RoomSize::members).sum();
  }
}
