package dev.chorus.transport;

import static dev.chorus.testkit.BadInput.joined;
import static dev.chorus.testkit.BadInput.room;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.metrics.Metrics;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNode;
import dev.chorus.testkit.TestNodeExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The write deadline (chorus.connection.outbound-stall-timeout): a client that stops reading
 * while its room publishes at a rate that could never fill its 1 MiB queue within the test is
 * closed with 4000 once its socket has not drained for the timeout; a client that reads slowly
 * but keeps up never is. A witness in the room, which publishes, gets everything in order.
 */
@Timeout(60)
class SlowConsumerDeadlineTest {
  static final Duration STALL = Duration.ofSeconds(2);
  /**
   * How much later than {@link #STALL} after its last read the stalled client may be closed:
   * the deadline starts once the socket takes no more, after the kernel has taken ~30 KB
   * (socket-notsent-lowat, 16 KiB, and the client's 4 KB receive window: ~0.4 s at this test's
   * 80 KB/s), plus the scheduling of a busy test machine.
   */
  static final Duration MARGIN = Duration.ofSeconds(3);
  /** 2 KB messages at 40/s: ~400 KB in the whole test, far from the 1 MiB queue bound. */
  static final int PAYLOAD = 2000, RATE = 40;

  // A long slow-close timeout: the stalled client reads its close frame after the test has timed it.
  @RegisterExtension static final TestNodeExtension NODE = new TestNodeExtension(
      "chorus.connection { outbound-stall-timeout = " + STALL.toMillis() + " ms, slow-close-timeout = 20 s }");

  static Metrics metrics() {
    return NODE.node().metrics();
  }

  @Test
  void aClientThatStopsReadingIsClosed4000AfterTheStallTimeoutLongBeforeItsQueueFills() throws Exception {
    String topic = room("room");
    try (PhxClient w = joined(NODE.port(), topic);
        PhxClient stalled = PhxClient.connect("127.0.0.1", NODE.port(), PhxClient.VSN, 4096)) {
      stalled.join(topic, "1", "{}");
      long stopped = System.nanoTime(); // it reads nothing more until it is closed
      long stalledBefore = metrics().slowConsumerClosesBy("stalled");
      Witness witness = new Witness(w, topic, 1).start();

      TestNode.await("the stalled client closed for its stall", STALL.plus(MARGIN),
          () -> metrics().slowConsumerClosesBy("stalled") > stalledBefore);
      Duration closedAfter = Duration.ofNanos(System.nanoTime() - stopped);
      assertTrue(closedAfter.compareTo(STALL) >= 0, "not before the stall timeout: " + closedAfter);
      assertEquals(0, metrics().slowConsumerClosesBy("queue_full"), "its queue never filled");
      witness.publishFor(Duration.ofMillis(500)); // the room goes on

      int published = witness.stopAndCheck();
      assertTrue(published >= RATE * 2, "the witness published and got " + published + " in order");
      assertEquals(stalledBefore + 1, metrics().slowConsumerClosesBy("stalled"), "only the client that stopped reading");

      // Reading at last, it finds what its socket held, in order and without gaps, then the close.
      PhxClient.Received close = stalled.awaitClose(Duration.ofSeconds(10));
      assertNotNull(close, "a close frame");
      assertEquals(4000, close.closeCode());
      assertEquals("slow consumer", close.closeReason());
      List<Integer> got = indexes(stalled.buffered(), topic);
      for (int i = 0; i < got.size(); i++) assertEquals(i, got.get(i), "an in-order prefix of the stream: " + got);
      assertTrue(got.size() < published, "what was queued after its stall was dropped: " + got.size() + " of " + published);
    }
  }

  @Test
  void aClientThatReadsSlowlyButKeepsUpIsNotClosedOverSeveralStallTimeouts() throws Exception {
    String topic = room("room");
    try (PhxClient w = joined(NODE.port(), topic);
        PhxClient steady = PhxClient.connect("127.0.0.1", NODE.port(), PhxClient.VSN, 4096)) {
      steady.join(topic, "1", "{}");
      long closesBefore = metrics().slowConsumerCloses.sum();
      // Bursts of 20 messages (40 KB) twice a second: the steady client's small socket holds
      // part of each burst back for a while (~0.2 s at its pace), then drains.
      Witness witness = new Witness(w, topic, 20).start();
      int expected = RATE * (int) STALL.multipliedBy(4).toSeconds(); // four stall timeouts' worth
      for (int i = 0; i < expected; i++) {
        JsonNode f = steady.expect("broadcast " + i, PhxClient::isBroadcast, Duration.ofSeconds(10));
        assertEquals(i, f.get(4).get("i").asInt(), "in order");
        Thread.sleep(5); // pacing: this client reads ~200 messages/s, 5 times the room's average rate
      }
      witness.stopAndCheck();
      assertEquals(closesBefore, metrics().slowConsumerCloses.sum(), "nobody closed as a slow consumer");
      steady.assertHeartbeatAnswered();
    }
  }

  /** The indexes of the broadcasts of {@code topic} among {@code frames}, in order. */
  static List<Integer> indexes(List<JsonNode> frames, String topic) {
    List<Integer> got = new ArrayList<>();
    for (JsonNode f : frames) {
      if (PhxClient.isBroadcast(f) && topic.equals(f.get(2).asText()) && "msg".equals(f.get(3).asText())) {
        got.add(f.get(4).get("i").asInt());
      }
    }
    return got;
  }

  /**
   * A member of the room that publishes {@code {"i": n, "b": ...}} at {@link #RATE} on average, in
   * bursts of {@code burst}, from one thread, and reads everything from another, checking that
   * its own broadcasts come back in order. Its last message, event "end", tells the reader that
   * nothing more is coming.
   */
  static final class Witness {
    private final PhxClient client;
    private final String topic;
    private final int burst;
    private final String pad = "x".repeat(PAYLOAD);
    private final AtomicInteger published = new AtomicInteger();
    private final AtomicInteger received = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stop;
    private final Thread publisher = new Thread(this::publish, "witness-publisher");
    private final Thread reader = new Thread(this::read, "witness-reader");

    Witness(PhxClient client, String topic, int burst) {
      this.client = client;
      this.topic = topic;
      this.burst = burst;
    }

    Witness start() {
      publisher.start();
      reader.start();
      return this;
    }

    private void publish() {
      long start = System.nanoTime();
      long interval = 1_000_000_000L * burst / RATE;
      try {
        for (int round = 0; !stop; round++) {
          for (int k = 0; k < burst; k++) {
            client.push(topic, "msg", "{\"i\":" + published.get() + ",\"b\":\"" + pad + "\"}");
            published.incrementAndGet();
          }
          long next = start + (round + 1) * interval;
          long wait = next - System.nanoTime();
          if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000)); // pacing: the room's publish rate
        }
        client.push(topic, "end", "{}");
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
      }
    }

    private void read() {
      try {
        while (true) {
          JsonNode f = client.next(Duration.ofSeconds(10));
          if (PhxClient.isReply(f)) {
            if (!"ok".equals(PhxClient.status(f))) throw new AssertionError("witness push refused: " + f);
          } else if (PhxClient.isBroadcast(f) && "end".equals(f.get(3).asText())) {
            return;
          } else if (PhxClient.isBroadcast(f)) {
            int i = f.get(4).get("i").asInt();
            if (i != received.get()) throw new AssertionError("witness got " + i + ", expected " + received.get());
            received.incrementAndGet();
          }
        }
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
      }
    }

    /** Lets it publish for {@code d} more. */
    void publishFor(Duration d) throws InterruptedException {
      Thread.sleep(d.toMillis()); // pacing: how long the room goes on publishing
      check();
    }

    /** Stops publishing, waits until every broadcast came back in order; returns how many. */
    int stopAndCheck() throws Exception {
      stop = true;
      publisher.join(10_000);
      reader.join(15_000);
      check();
      assertEquals(published.get(), received.get(), "the witness received every broadcast");
      return received.get();
    }

    private void check() {
      Throwable e = failure.get();
      if (e != null) throw new AssertionError("witness failed", e);
    }
  }
}
