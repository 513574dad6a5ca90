package dev.chorus.multijvm;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.testkit.PhxClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Draining node 3 of three (POST /admin/drain): readiness turns false at once, new WebSockets
 * are refused, its clients are closed with 1012 spread over the drain window, the node leaves
 * and exits, and a room whose entity lived on node 3 carries on for the clients elsewhere
 * without losing or reordering a message.
 */
class DrainMultiJvmIT {
  static final Duration WINDOW = Duration.ofSeconds(6);

  @Test
  void drainingANodeMovesItsClientsGraduallyAndNobodyElseNotices() throws Exception {
    try (LocalCluster cluster = LocalCluster.start("drain", 3, List.of("-Dchorus.drain.window=" + WINDOW.toSeconds() + "s"))) {
      NodeProcess node1 = cluster.node(1), node2 = cluster.node(2), node3 = cluster.node(3);
      List<PhxClient> drained = new ArrayList<>();
      ExecutorService pool = Executors.newCachedThreadPool();
      try (PhxClient subscriber = node2.client(); PhxClient publisher = node1.client()) {
        String topic = Shards.topicWithEntity("room:drained-", node3, true, subscriber);
        publisher.join(topic);
        for (int i = 0; i < 40; i++) {
          PhxClient s = node3.client();
          drained.add(s);
          s.join("room:lobby");
        }

        // The publisher keeps publishing through the drain and the room's move off node 3.
        int total = 200;
        String room = topic;
        AtomicInteger pushed = new AtomicInteger();
        CompletableFuture<Void> publishing = CompletableFuture.runAsync(() -> {
          try {
            for (int n = 0; n < total; n++) {
              publisher.push(room, "msg", "{\"n\":" + n + "}");
              pushed.incrementAndGet();
              // Pacing, not a wait: 200 pushes 50 ms apart span the drain window and the room's move.
              Thread.sleep(50);
            }
          } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
          }
        }, pool);

        // The drain starts with the publisher under way: some messages go out before it.
        cluster.await("the publisher under way", Duration.ofSeconds(10), () -> pushed.get() >= 10);
        long start = System.nanoTime();
        NodeProcess.Response drain = node3.adminPost("/admin/drain");
        assertEquals(202, drain.status(), drain.body());
        assertNotEquals(200, node3.get("/ready").status(), "not ready as soon as the drain is accepted");
        IOException refused = assertThrows(IOException.class, () -> node3.client().close());
        assertTrue(refused.getMessage().contains("503"), "a new WebSocket is refused while draining: " + refused.getMessage());

        List<CompletableFuture<Long>> closes = new ArrayList<>();
        for (PhxClient s : drained) {
          closes.add(CompletableFuture.supplyAsync(() -> {
            try {
              PhxClient.Received close = s.awaitClose(WINDOW.plusSeconds(10));
              assertNotNull(close, "a close frame, not a dropped connection");
              assertEquals(1012, close.closeCode());
              return (System.nanoTime() - start) / 1_000_000;
            } catch (IOException e) {
              throw new IllegalStateException(e);
            }
          }, pool));
        }
        List<Long> closedAtMs = new ArrayList<>();
        for (CompletableFuture<Long> c : closes) closedAtMs.add(c.get());
        long first = closedAtMs.stream().min(Long::compare).orElseThrow();
        long last = closedAtMs.stream().max(Long::compare).orElseThrow();
        System.out.printf("drain: 40 clients closed with 1012 between %d and %d ms (window %d s)%n", first, last, WINDOW.toSeconds());
        assertTrue(last - first >= WINDOW.toMillis() / 2, "closes are spread over the window, not one storm: " + closedAtMs);
        assertTrue(last <= WINDOW.toMillis() + 2000, "all closed within the window: " + closedAtMs);

        assertTrue(node3.awaitExit(Duration.ofSeconds(60)), "node 3 leaves and exits after the drain\n" + cluster.logTails());
        assertEquals(0, node3.exitCode());
        cluster.await("node 3 gone from the survivors' membership", Duration.ofSeconds(20), () ->
            List.of(node1, node2).stream().allMatch(n -> cluster.upMembers(n) == 2));

        publishing.get();
        List<String> order = new ArrayList<>();
        for (JsonNode b : subscriber.broadcasts(topic, total, Duration.ofSeconds(30))) order.add(b.path(4).path("n").asText());
        List<String> expected = new ArrayList<>();
        for (int n = 0; n < total; n++) expected.add(String.valueOf(n));
        assertEquals(expected, order, "the subscriber on node 2 got every message once, in order, through the room's move");
      } finally {
        for (PhxClient s : drained) s.close();
        pool.shutdownNow();
      }
    }
  }
}
