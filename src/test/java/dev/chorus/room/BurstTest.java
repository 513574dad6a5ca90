package dev.chorus.room;

import static dev.chorus.testkit.BadInput.awaitCounter;
import static dev.chorus.testkit.BadInput.room;
import static dev.chorus.testkit.PhxClient.isBroadcast;
import static dev.chorus.testkit.PhxClient.isReply;
import static dev.chorus.testkit.PhxClient.status;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The default limits (reference.conf, nothing configured here) refuse nothing an ordinary app
 * does: a burst of 1 000 pushes to one topic, or 800 over three, is answered ok and delivered
 * in order; only a flood sustained for flood-duration (10 s) is closed (4003), and a witness
 * in the room keeps receiving meanwhile.
 */
@Timeout(120)
class BurstTest {
  @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension();
  static final Duration WAIT = Duration.ofSeconds(30);

  static PhxClient joined(String... topics) throws IOException {
    PhxClient c = PhxClient.connect(NODE.port()).withWait(WAIT);
    for (String topic : topics) c.join(topic);
    return c;
  }

  /** Reads until {@code replies} replies and {@code broadcasts} broadcasts came; returns them in arrival order. */
  static List<JsonNode> read(PhxClient c, int replies, int broadcasts) throws IOException {
    List<JsonNode> got = new ArrayList<>();
    int r = 0, b = 0;
    while (r < replies || b < broadcasts) {
      JsonNode f = c.next();
      if (isReply(f)) r++;
      else if (isBroadcast(f)) b++;
      got.add(f);
    }
    return got;
  }

  /** The "n" of the broadcasts of {@code topic} among {@code frames}, in order. */
  static List<Integer> ns(List<JsonNode> frames, String topic) {
    return frames.stream().filter(f -> isBroadcast(f) && topic.equals(f.get(2).asText())).map(f -> f.get(4).path("n").asInt()).toList();
  }

  static List<Integer> upTo(int n) {
    List<Integer> l = new ArrayList<>();
    for (int i = 0; i < n; i++) l.add(i);
    return l;
  }

  /**
   * What phoenix.js does on a rejoin: every push it buffered meanwhile goes out the moment it
   * reads the join's ok, which may reach the session before the room's word that the join is in.
   * Here the pushes go out with the join itself, in one write, so they arrive while it is being admitted: all
   * are held and answered ok, in order (chorus.connection.max-early-pushes; at 64, the 65th on
   * got "unmatched topic").
   */
  @Test
  void pushesSentWithTheJoinBeforeItsReplyAreHeldAndAnsweredOkInOrder() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(topic); PhxClient c = PhxClient.connect(NODE.port()).withWait(WAIT)) {
      List<String> refs = new ArrayList<>();
      c.together(() -> {
        c.sendJoin(topic, "j1", "{}");
        for (int i = 0; i < 500; i++) refs.add(c.push(topic, "msg", "{\"n\":" + i + "}"));
      });
      List<JsonNode> got = read(c, 501, 500);
      assertEquals("j1", got.get(0).get(1).asText(), "the join's reply first: " + got.get(0));
      assertEquals("ok", status(got.get(0)));
      List<String> okRefs = got.stream().filter(f -> isReply(f) && "ok".equals(status(f)) && !"j1".equals(f.get(1).asText()))
          .map(f -> f.get(1).asText()).toList();
      assertEquals(refs, okRefs, "500 ok replies, in the order of the pushes");
      assertEquals(upTo(500), ns(got, topic), "their broadcasts, in order");
      assertEquals(upTo(500), ns(read(witness, 0, 500), topic), "the witness gets them all too");
    }
  }

  @Test
  void aBurstOf1000PushesToOneTopicIsAnsweredOkAndDeliveredInOrder() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(topic); PhxClient publisher = joined(topic)) {
      List<String> refs = new ArrayList<>();
      for (int i = 0; i < 1000; i++) refs.add(publisher.push(topic, "msg", "{\"n\":" + i + "}"));
      List<JsonNode> got = read(publisher, 1000, 1000);
      List<String> okRefs = got.stream().filter(f -> isReply(f) && "ok".equals(status(f))).map(f -> f.get(1).asText()).toList();
      assertEquals(refs, okRefs, "1 000 ok replies, in the order of the pushes");
      assertEquals(upTo(1000), ns(got, topic), "the publisher's own 1 000 broadcasts in order");
      assertEquals(upTo(1000), ns(read(witness, 0, 1000), topic), "the witness's 1 000 broadcasts in order");
      publisher.assertHeartbeatAnswered();
    }
  }

  @Test
  void aBurstOf800PushesOverThreeTopicsIsAnsweredOk() throws Exception {
    String[] topics = {room("room"), room("room"), room("room")};
    try (PhxClient publisher = joined(topics)) {
      for (int i = 0; i < 800; i++) publisher.push(topics[i % 3], "msg", "{\"n\":" + i / 3 + "}");
      List<JsonNode> got = read(publisher, 800, 800);
      List<JsonNode> errors = got.stream().filter(f -> isReply(f) && !"ok".equals(status(f))).toList();
      assertEquals(List.of(), errors, "every push answered ok");
      assertEquals(upTo(267), ns(got, topics[0]));
      assertEquals(upTo(267), ns(got, topics[1]));
      assertEquals(upTo(266), ns(got, topics[2]));
    }
  }

  /**
   * A publisher over the namespace's publish rate (200/s) for longer than its burst (2 000) and
   * flood-duration (10 s) together: rate limited, then closed with 4003, not before the flood
   * has lasted 10 s; the witness keeps receiving the accepted pushes all along.
   */
  @Test
  void aSustainedFloodIsClosed4003AfterFloodDurationWhileTheWitnessKeepsReceiving() throws Exception {
    String topic = room("room");
    try (PhxClient witness = joined(topic); PhxClient flooder = joined(topic)) {
      long closedBefore = NODE.node().metrics().closedBy("rate_limited");
      AtomicInteger witnessed = new AtomicInteger();
      CompletableFuture<Void> watching = CompletableFuture.runAsync(() -> {
        try {
          while (!Thread.currentThread().isInterrupted()) if (isBroadcast(witness.next(WAIT))) witnessed.incrementAndGet();
        } catch (IOException end) {
          // the test is over (no broadcast within WAIT, or the socket closed at the end)
        }
      });
      // The flooder's frames are read as they come: its ok replies and broadcasts must not fill
      // its outbound queue, or it would be closed as a slow consumer (4000) instead.
      AtomicLong firstLimitedAt = new AtomicLong();
      CompletableFuture<PhxClient.Received> closed = CompletableFuture.supplyAsync(() -> {
        try {
          PhxClient.Received r;
          while (!(r = flooder.receive(WAIT)).isClose()) {
            if (firstLimitedAt.get() == 0 && r.text().contains("rate limited")) firstLimitedAt.set(System.nanoTime());
          }
          return r;
        } catch (IOException e) {
          throw new AssertionError("the flooder's connection ended without a close frame", e);
        }
      });
      // 1 000 pushes a second (5x the rate) until the close: 50 every 50 ms.
      int sent = 0;
      int witnessedAtFirstLimit = -1;
      while (!closed.isDone() && sent < 40_000) {
        for (int i = 0; i < 50; i++) flooder.push(topic, "msg", "{\"n\":" + sent++ + "}");
        if (witnessedAtFirstLimit < 0 && firstLimitedAt.get() != 0) witnessedAtFirstLimit = witnessed.get();
        Thread.sleep(50); // the flooder's pace
      }
      PhxClient.Received close = closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      long closedAt = System.nanoTime();
      assertEquals(4003, close.closeCode(), close.closeReason());
      assertNotEquals(0, firstLimitedAt.get(), "rate limited replies came before the close");
      // 10 s between the server's first rate-limited reply and its close; the client reads both
      // later, the first perhaps later still (behind a backlog of replies): 1 s of slack for that.
      Duration flooded = Duration.ofNanos(closedAt - firstLimitedAt.get());
      assertTrue(flooded.compareTo(Duration.ofSeconds(9)) >= 0, "closed only after the flood lasted flood-duration: " + flooded);
      awaitCounter("closedBy(rate_limited)", () -> NODE.node().metrics().closedBy("rate_limited"), closedBefore + 1);
      assertTrue(witnessed.get() > witnessedAtFirstLimit && witnessedAtFirstLimit >= 0,
          "the witness kept receiving during the flood: " + witnessedAtFirstLimit + " then " + witnessed.get());
      int seen = witnessed.get();
      assertTrue(seen >= 2000, "the witness received the burst and the rate's pushes: " + seen);
    }
  }
}
