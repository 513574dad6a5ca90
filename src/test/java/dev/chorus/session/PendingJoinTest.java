package dev.chorus.session;

import static dev.chorus.testkit.BadInput.assertErrorReply;
import static dev.chorus.testkit.BadInput.assertRoomStillWorks;
import static dev.chorus.testkit.BadInput.joined;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.ChorusNode;
import dev.chorus.metrics.Metrics;
import dev.chorus.room.LocalRooms;
import dev.chorus.testkit.Heap;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import dev.chorus.testkit.TestNodeExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A join under way holds state (the pushes sent before it is admitted, the local room's
 * pending join and its count); all of it is bounded. Pushes held are bounded in bytes as well
 * as in count (chorus.connection.max-early-push-bytes, for all joins of a connection), and a
 * join whose room entity never answers ends after chorus.room.join-timeout with the error
 * "join timed out", its local room freed. The entity that never answers is the test hook
 * chorus.testing.silent-namespace: this is a single-node test of the timeout (the multi-JVM
 * RecoveryMultiJvmIT makes an entity's node unreachable for real). A witness room keeps
 * working throughout.
 */
@Timeout(120)
class PendingJoinTest {
  @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension("""
      chorus.testing.silent-namespace = silent
      chorus.namespaces.silent {}
      chorus.room.join-timeout = 10 s
      chorus.connection { inbound-rate = 100000, inbound-burst = 100000, max-early-push-bytes = 256 KiB }
      """);

  /** A push of about {@code bytes} bytes. */
  static String payload(int bytes) {
    return "{\"b\":\"" + "x".repeat(bytes - 8) + "\"}";
  }

  /** Rooms and members of this node's local rooms. */
  static LocalRooms.Largest localRooms(ChorusNode node) {
    return AskPattern.<LocalRooms.Command, LocalRooms.Largest>ask(node.localRooms(), r -> new LocalRooms.GetLargest(100, r),
        Duration.ofSeconds(3), node.system().scheduler()).toCompletableFuture().join();
  }

  @Test
  void pushesHeldForJoinsThatNeverCompleteAreBoundedInBytes() throws Exception {
    Metrics metrics = NODE.node().metrics();
    String witnessRoom = "room:pending-witness";
    List<PhxClient> attackers = new ArrayList<>();
    try (PhxClient witness = joined(NODE.port(), witnessRoom)) {
      long heapBefore = Heap.usedAfterGc();
      long sent = System.nanoTime();
      long unmatchedBefore = metrics.pushesRefusedBy("unmatched topic");
      int connections = 4, joins = 10, pushes = 20, size = 50_000; // 40 MB sent, held at most 4 x 256 KiB
      for (int c = 0; c < connections; c++) {
        PhxClient a = PhxClient.connect(NODE.port()).withWait(Duration.ofSeconds(20));
        attackers.add(a);
        for (int j = 0; j < joins; j++) a.sendJoin("silent:held-" + j, "j" + j, "{}");
        for (int j = 0; j < joins; j++) {
          for (int p = 0; p < pushes; p++) a.send("j" + j, j + "-" + p, "silent:held-" + j, "msg", payload(size));
        }
      }
      // 5 pushes of 50 KB fit in 256 KiB per connection; every other one is refused at once.
      int refusedAtOnce = joins * pushes - 5;
      for (PhxClient a : attackers) {
        for (int n = 0; n < refusedAtOnce; n++) {
          a.expect("an unmatched topic reply", f -> PhxClient.isReply(f) && "unmatched topic".equals(PhxClient.reason(f)));
        }
      }
      long heapHeld = Heap.usedAfterGc() - heapBefore;
      assertTrue(System.nanoTime() - sent < Duration.ofSeconds(10).toNanos(), "measured while the joins are under way");
      System.out.printf("pending joins: heap %s with %d connections' pushes held%n", Heap.mb(heapHeld), connections);
      assertTrue(heapHeld < 12 << 20, "held pushes are bounded: heap grew by " + Heap.mb(heapHeld));
      assertRoomStillWorks(witnessRoom, witness);

      // The joins time out; the held pushes are answered then.
      for (PhxClient a : attackers) {
        for (int j = 0; j < joins; j++) assertErrorReply(a.reply("j" + j), "join timed out");
      }
      TestNode.await("every refused push counted", Duration.ofSeconds(10),
          () -> metrics.pushesRefusedBy("unmatched topic") >= unmatchedBefore + (long) connections * joins * pushes);
    } finally {
      for (PhxClient a : attackers) a.close();
    }
  }

  @Test
  void aJoinWhoseRoomNeverAnswersEndsWithJoinTimedOutAndLeavesNothing() throws Exception {
    Metrics metrics = NODE.node().metrics();
    String witnessRoom = "room:timeout-witness";
    try (PhxClient witness = joined(NODE.port(), witnessRoom);
        PhxClient c = PhxClient.connect(NODE.port()).withWait(Duration.ofSeconds(20))) {
      long timedOutBefore = metrics.joinsRefusedBy("join timed out");
      for (int round = 0; round < 2; round++) { // twice: the first left nothing in the way
        long start = System.nanoTime();
        c.sendJoin("silent:never", "n" + round, "{}");
        JsonNode reply = c.reply("n" + round);
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertErrorReply(reply, "join timed out");
        assertTrue(tookMs >= 9_500 && tookMs < 12_000, "ends at the join timeout (10 s): " + tookMs + " ms");
        c.assertHeartbeatAnswered();
        witness.assertHeartbeatAnswered();
      }
      assertEquals(timedOutBefore + 2, metrics.joinsRefusedBy("join timed out"));
      TestNode.await("the local room of the timed-out join is gone", Duration.ofSeconds(5), () ->
          localRooms(NODE.node()).largest().stream().noneMatch(r -> r.topic().startsWith("silent:")));
      // and the session forgot the join: a push to it is unmatched, not held
      c.send("n1", "p", "silent:never", "msg", "{}");
      assertErrorReply(c.reply("p"), "unmatched topic");
      assertRoomStillWorks(witnessRoom, witness);
    }
  }
}
