package dev.chorus.transport;

import static dev.chorus.testkit.BadInput.room;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.metrics.Metrics;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import dev.chorus.testkit.TestNodeExtension;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The node's outbound budget (chorus.connection.outbound-node-budget): clients that do not
 * read, each well within its own queue bound and stall deadline, together pass the node's
 * budget; the one with the largest backlog is closed (4000, reason budget), the backlog comes
 * back under the budget, the others keep everything, and the witness publishing to all of them
 * gets everything in order. It also shows that a stalled client's backlog is in Chorus, where
 * it is counted, and not in the kernel (socket-notsent-lowat).
 */
@Timeout(60)
class NodeOutboundBudgetTest {
  static final long BUDGET = 1 << 20;
  /** Messages of ~10 KB. */
  static final int PAYLOAD = 10_000;
  /** At most this much of a client's stream may be outside Chorus (its kernel and ours); SO_SNDBUF alone lets the kernel hold 256 KiB. */
  static final long OUTSIDE_CHORUS = 64 << 10;

  // No stall deadline within the test. The closed client, which does not read its close frame,
  // is cut off after slow-close-timeout, and what Netty held for it freed.
  @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension("""
      chorus.connection { outbound-node-budget = %d, outbound-stall-timeout = 60 s, slow-close-timeout = 1 s }
      """.formatted(BUDGET));

  static Metrics metrics() {
    return NODE.node().metrics();
  }

  static long backlog() {
    return metrics().outboundBacklogBytes.sum();
  }

  @Test
  void nonReadingClientsOverTheNodeBudgetTheLargestBacklogIsClosedFirst() throws Exception {
    String ta = room("room"), tb = room("room"), tc = room("room");
    try (PhxClient w = PhxClient.connect(NODE.port());
        PhxClient a = stalledMember(ta); PhxClient b = stalledMember(tb); PhxClient c = stalledMember(tc)) {
      Witness witness = new Witness(w);
      for (String t : List.of(ta, tb, tc)) w.join(t, "1-" + t, "{}");

      // 600 KB for a, then 300 KB for b: 900 KB, under the budget.
      witness.publish(ta, 60);
      TestNode.await("a's backlog counted, all but what its kernel holds", Duration.ofSeconds(10),
          () -> backlog() >= 60 * PAYLOAD - OUTSIDE_CHORUS);
      witness.publish(tb, 30);
      TestNode.await("b's too", Duration.ofSeconds(10), () -> backlog() >= 90 * PAYLOAD - 2 * OUTSIDE_CHORUS);
      assertEquals(0, metrics().slowConsumerClosesBy("budget"), "under the budget: " + backlog());

      // 500 KB for c: 1.4 MB, over 1 MiB. Closing a (600 KB, not the one that crossed it) leaves 800 KB.
      witness.publish(tc, 50);
      TestNode.await("one client closed for the budget", Duration.ofSeconds(5),
          () -> metrics().slowConsumerClosesBy("budget") == 1);
      TestNode.await("the backlog back under the budget", Duration.ofSeconds(5), () -> backlog() <= BUDGET);
      witness.drain();

      // a finds an in-order prefix of its stream, then the end (its close frame, or the reset of
      // its socket after slow-close-timeout); b and c were kept and get everything.
      PhxClient.Received end = a.awaitClose(Duration.ofSeconds(10));
      assertTrue(end == null || end.closeCode() == 4000, "closed as a slow consumer: " + (end == null ? "reset" : end.closeCode()));
      List<Integer> got = SlowConsumerDeadlineTest.indexes(a.buffered(), ta);
      for (int i = 0; i < got.size(); i++) assertEquals(i, got.get(i), "a prefix of a's stream: " + got);
      assertTrue(got.size() < 60, "a's queue was dropped: it got " + got.size());
      assertEverything(b, tb, 30);
      assertEverything(c, tc, 50);
      assertEquals(1, metrics().slowConsumerClosesBy("budget"), "only a");
      assertEquals(0, metrics().slowConsumerClosesBy("stalled") + metrics().slowConsumerClosesBy("queue_full"));
    }
  }

  /** A client with a 4 KB receive buffer, joined to {@code topic}, that reads nothing more until told. */
  static PhxClient stalledMember(String topic) throws Exception {
    PhxClient c = PhxClient.connect("127.0.0.1", NODE.port(), PhxClient.VSN, 4096);
    c.join(topic, "1", "{}");
    return c;
  }

  static void assertEverything(PhxClient c, String topic, int n) throws Exception {
    List<JsonNode> got = c.broadcasts(topic, n, Duration.ofSeconds(10));
    for (int i = 0; i < n; i++) assertEquals(i, got.get(i).get(4).get("i").asInt(), topic + " in order");
    c.assertHeartbeatAnswered();
  }

  /**
   * The witness, a member of every topic, publishes {@code {"i": n, ...}} and reads its own
   * broadcasts back, in order per topic, staying at most {@link #AHEAD} publishes ahead of what
   * it has read, so that its own backlog stays small beside the stalled clients'.
   */
  static final class Witness {
    static final int AHEAD = 2;
    private final PhxClient client;
    private final String pad = "x".repeat(PAYLOAD);
    private final Map<String, Integer> sent = new HashMap<>(), echoed = new HashMap<>();
    private int outstanding;

    Witness(PhxClient client) {
      this.client = client;
    }

    void publish(String topic, int n) throws Exception {
      for (int i = 0; i < n; i++) {
        client.push(topic, "msg", "{\"i\":" + i + ",\"b\":\"" + pad + "\"}");
        sent.merge(topic, 1, Integer::sum);
        outstanding++;
        while (outstanding > AHEAD) readOne();
      }
    }

    void drain() throws Exception {
      while (outstanding > 0) readOne();
      client.assertHeartbeatAnswered();
    }

    private void readOne() throws Exception {
      JsonNode f = client.next(Duration.ofSeconds(10));
      if (PhxClient.isReply(f)) {
        assertEquals("ok", PhxClient.status(f), "the witness's push: " + f);
      } else if (PhxClient.isBroadcast(f)) {
        String topic = f.get(2).asText();
        int expected = echoed.getOrDefault(topic, 0);
        assertEquals(expected, f.get(4).get("i").asInt(), "the witness gets " + topic + " in order");
        echoed.put(topic, expected + 1);
        outstanding--;
      }
    }
  }
}
