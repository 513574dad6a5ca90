package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Slow consumers are closed without disturbing the room; silent connections time out. */
class SlowConsumerTest {
  static ChorusNode node;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    // Default outbound bounds (1 MiB).
    node = TestNode.start("""
        chorus.connection { inbound-rate = 100000, inbound-burst = 100000 }
        chorus.namespaces.fast { publish-rate = 100000, publish-burst = 100000 }
        """);
    port = node.httpAddress().getPort();
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  @Test
  void aClientThatNeverReadsIsClosedWhileAReadingClientGetsEverything() throws Exception {
    // 4 KB receive buffer: the kernel cannot hide the slow client behind megabytes of buffer.
    try (PhxClient slow = PhxClient.connect("127.0.0.1", port, PhxClient.VSN, 4096);
        PhxClient reader = PhxClient.connect(port);
        PhxClient publisher = PhxClient.connect(port)) {
      slow.join("fast:slow");
      reader.join("fast:slow");
      publisher.join("fast:slow", "1", "{}");
      String body = "x".repeat(1000);
      int messages = 4000; // ~4 MB: far more than the slow client's socket and 1 MiB queue hold
      // The publisher stays at most 200 messages ahead of the reader, so that only the slow
      // client, never the reader or the publisher itself, can fall a megabyte behind.
      java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(200);
      Thread pub = new Thread(() -> {
        try {
          for (int i = 0; i < messages; i++) {
            if (!window.tryAcquire(30, java.util.concurrent.TimeUnit.SECONDS)) throw new AssertionError("reader stalled at " + i);
            publisher.sendText("[\"1\",null,\"fast:slow\",\"msg\",{\"i\":" + i + ",\"b\":\"" + body + "\"}]");
          }
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      Thread drain = new Thread(() -> {
        try {
          for (int i = 0; i < messages; i++) publisher.receive(Duration.ofSeconds(30));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      pub.start();
      drain.start();
      for (int i = 0; i < messages; i++) {
        // generous: a busy CI machine may stall a test JVM for seconds; order is what is checked
        JsonNode f = reader.next(Duration.ofSeconds(30));
        assertEquals(i, f.get(4).get("i").asInt(), "the reading client gets every message in order");
        window.release();
      }
      pub.join(10_000);
      drain.join(10_000);
      TestNode.await("the slow consumer to be closed", Duration.ofSeconds(10),
          () -> node.metrics().slowConsumerCloses.sum() == 1);
      TestNode.await("its connection to end", Duration.ofSeconds(10),
          () -> node.metrics().closedBy("slow_consumer") == 1);
      // The slow client, reading at last, finds its stream ended: a close frame 4000 if the
      // socket had room for it, else the connection aborted after slow-close-timeout.
      PhxClient.Received close = slow.awaitClose(Duration.ofSeconds(10));
      if (close != null) assertEquals(4000, close.closeCode());
    }
  }

  @Test
  void aSilentConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    try (ChorusNode idleNode = TestNode.start("chorus.connection.idle-timeout = 1500 ms");
        PhxClient silent = PhxClient.connect(idleNode.httpAddress().getPort());
        PhxClient beating = PhxClient.connect(idleNode.httpAddress().getPort())) {
      long start = System.nanoTime();
      // the beating client keeps sending heartbeats and stays open
      Thread beat = new Thread(() -> {
        try {
          for (int i = 0; i < 8; i++) {
            beating.sendText("[null,\"" + i + "\",\"phoenix\",\"heartbeat\",{}]");
            beating.receiveText();
            Thread.sleep(400); // pacing, not a wait: the client's heartbeat interval, which keeps it within the idle timeout
          }
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      beat.start();
      PhxClient.Received close = silent.awaitClose(Duration.ofSeconds(10));
      assertNotNull(close, "a close frame, not a dropped connection");
      assertEquals(4001, close.closeCode());
      assertEquals("idle timeout", close.closeReason());
      assertTrue(System.nanoTime() - start >= Duration.ofMillis(1400).toNanos(), "not before the timeout");
      beat.join(10_000);
      beating.sendText("[null,\"x\",\"phoenix\",\"heartbeat\",{}]");
      assertEquals("x", beating.next().get(1).asText(), "heartbeating client still open");
    }
  }
}
