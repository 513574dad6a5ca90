package dev.chorus.room;

import static dev.chorus.testkit.BadInput.assertRoomStillWorks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.metrics.Metrics;
import dev.chorus.testkit.Heap;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * History is bounded by bytes, per room (the namespace's history-max-bytes) and per node
 * (chorus.room.node-history-max-bytes, shared by every room entity of the node: the oldest
 * messages of the biggest histories go first). Once one anonymous connection pinned ~240 MB of
 * history over two nodes (100 large messages in each of 30 rooms) for minutes. Here one
 * connection fills 20 rooms with 60 messages of 8 KB each (9.6 MB of history before the
 * bounds); the node keeps at most 1 MiB, each room at most 256 KiB, a small room's history
 * stays whole, and the witness keeps receiving.
 */
@Timeout(120)
class HistoryMemoryTest {
  static final long NODE_BUDGET = 1 << 20;
  static final long ROOM_BUDGET = 256 << 10;

  @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension("""
      chorus.room.node-history-max-bytes = 1 MiB
      chorus.namespace-defaults { history-max-bytes = 256 KiB, publish-rate = 100000, publish-burst = 100000 }
      chorus.connection { inbound-rate = 100000, inbound-burst = 100000 }
      """);

  static final int ROOMS = 20, MESSAGES = 60, BODY = 8_000;

  @Test
  void oneConnectionFillingTheHistoriesOfManyRoomsIsBoundedPerRoomAndPerNode() throws Exception {
    Metrics metrics = NODE.node().metrics();
    try (PhxClient witness = PhxClient.connect(NODE.port()); PhxClient attacker = PhxClient.connect(NODE.port())) {
      // A small room with a short history, before the attack: it must survive it whole.
      String small = "room:history-witness";
      String epoch = witness.join(small, "1", "{}").path("epoch").asText();
      for (int i = 0; i < 10; i++) witness.pushOk(small, "note", "{\"i\":" + i + "}");
      witness.broadcasts(small, 10, Duration.ofSeconds(10));
      long heapBefore = Heap.usedAfterGc();

      for (int r = 0; r < ROOMS; r++) attacker.join("room:pin-" + r, "j" + r, "{}");
      String body = "{\"b\":\"" + "x".repeat(BODY) + "\"}";
      for (int r = 0; r < ROOMS; r++) { // room by room: each passes its own bound, then the node's
        for (int m = 0; m < MESSAGES; m += 20) {
          for (int k = m; k < m + 20; k++) attacker.send("j" + r, "p" + k, "room:pin-" + r, "pin", body);
          // It reads what comes back (its replies and its own broadcasts) as it goes, or it
          // would be closed as a slow consumer before it pinned anything.
          for (int n = 0; n < 40; n++) attacker.next(Duration.ofSeconds(30));
        }
      }

      long held = metrics.historyBytes.get();
      System.out.printf("history: %d bytes held on the node after %d x %d messages of %d bytes%n", held, ROOMS, MESSAGES, BODY);
      assertTrue(held <= NODE_BUDGET, "the node's history is within its budget: " + held);
      assertTrue(held > NODE_BUDGET / 2, "and it is used: " + held);
      assertTrue(metrics.historyEvictedBy("room_bytes") > 0, "rooms gave up their oldest to their own bound");
      assertTrue(metrics.historyEvictedBy("node_bytes") > 0, "and to the node's");

      // A room of the attack lost its oldest messages: recovering from its start says so.
      try (PhxClient late = PhxClient.connect(NODE.port())) {
        String pinEpoch = late.join("room:pin-0", "1", "{}").path("epoch").asText();
        late.sendText("[\"1\",\"2\",\"room:pin-0\",\"phx_leave\",{}]");
        late.skipTo("phx_close", f -> "phx_close".equals(f.get(3).asText()));
        JsonNode r = late.join("room:pin-0", "3", "{\"since\":{\"epoch\":\"" + pinEpoch + "\",\"seq\":0}}");
        assertFalse(r.path("recovered").asBoolean(true), r.toString());
        assertEquals("history gone", r.path("reason").asText());
        assertEquals(1, metrics.recoveriesRefusedBy("history gone"));
      }
      // The small room kept all of its history (the biggest histories paid), and still serves.
      try (PhxClient rejoined = PhxClient.connect(NODE.port())) {
        JsonNode r = rejoined.join(small, "1", "{\"since\":{\"epoch\":\"" + epoch + "\",\"seq\":0}}");
        assertTrue(r.path("recovered").asBoolean(), r.toString());
        assertEquals(10, rejoined.broadcasts(small, 10, Duration.ofSeconds(10)).size());
      }
      assertRoomStillWorks(small, witness, f -> false);

      long growth = Heap.usedAfterGc() - heapBefore;
      System.out.printf("history: heap grew by %s%n", Heap.mb(growth));
      // the history is off the heap; what stays on it is 20 small entities and local rooms
      assertTrue(growth < 8 << 20, "heap grew by " + Heap.mb(growth));
    }
  }
}
