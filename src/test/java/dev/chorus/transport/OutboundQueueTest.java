package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chorus.metrics.Metrics;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OutboundQueueTest {
  private Metrics metrics;
  private AtomicInteger wakeups;

  @BeforeEach
  void setUp() {
    metrics = new Metrics();
    wakeups = new AtomicInteger();
  }

  private OutboundQueue attached(int maxFrames, long maxBytes) {
    OutboundQueue q = new OutboundQueue(maxFrames, maxBytes, metrics);
    q.attach(wakeups::incrementAndGet);
    return q;
  }

  private static ByteBuf frame(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
  }

  private static ByteBuf frame(int size, char c) {
    return frame(String.valueOf(c).repeat(size));
  }

  /** The text of a polled batch, which the test owns and releases like the writer would. */
  private static String str(ByteBuf b) {
    try {
      return b.toString(StandardCharsets.UTF_8);
    } finally {
      b.release();
    }
  }

  private static byte[] array(ByteBuf b) {
    return str(b).getBytes(StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------- batching

  @Test
  void pollOnEmptyQueueIsNull() {
    OutboundQueue q = attached(10, 1000);
    assertNull(q.poll(100));
    assertNull(q.closeRequest());
    assertEquals(0, wakeups.get());
  }

  @Test
  void pollConcatenatesQueuedFramesInOrder() {
    OutboundQueue q = attached(10, 1000);
    assertTrue(q.offer(frame("aa")));
    assertTrue(q.offer(frame("bbb")));
    assertTrue(q.offer(frame("c")));
    assertEquals(3, q.queuedFrames());
    assertEquals(6, q.queuedBytes());
    assertEquals("aabbbc", str(q.poll(1000)));
    assertEquals(0, q.queuedFrames());
    assertEquals(0, q.queuedBytes());
    assertNull(q.poll(1000));
  }

  @Test
  void batchesStopAtWriteBatchBytesOnFrameBoundaries() {
    OutboundQueue q = attached(100, 10_000);
    q.offer(frame(4, 'a'));
    q.offer(frame(4, 'b'));
    q.offer(frame(4, 'c'));
    q.offer(frame(1, 'd'));
    q.offer(frame(9, 'e'));
    // 4+4 = 8 fits in 10, +4 would not: the frame is never split
    assertEquals("aaaabbbb", str(q.poll(10)));
    assertEquals(14, q.queuedBytes());
    assertEquals("ccccd", str(q.poll(10)));
    assertEquals("eeeeeeeee", str(q.poll(10)));
    assertNull(q.poll(10));
    assertEquals(0, q.queuedBytes());
  }

  @Test
  void batchExactlyAtLimitIsTaken() {
    OutboundQueue q = attached(100, 10_000);
    q.offer(frame(5, 'a'));
    q.offer(frame(5, 'b'));
    q.offer(frame(1, 'c'));
    assertEquals("aaaaabbbbb", str(q.poll(10)));
    assertEquals("c", str(q.poll(10)));
  }

  @Test
  void frameLargerThanBatchIsSentAlone() {
    OutboundQueue q = attached(100, 10_000);
    q.offer(frame(50, 'a'));
    q.offer(frame(1, 'b'));
    assertEquals(50, str(q.poll(10)).length());
    assertEquals("b", str(q.poll(10)));
    assertEquals(0, q.queuedBytes());
  }

  @Test
  void framesOfferedBeforeAttachAreKeptAndWakeOnAttach() {
    OutboundQueue q = new OutboundQueue(10, 1000, metrics);
    assertTrue(q.offer(frame("early")));
    q.attach(wakeups::incrementAndGet);
    assertEquals(1, wakeups.get());
    assertTrue(q.offer(frame("-late")));
    assertEquals(1, wakeups.get(), "a wakeup is already pending");
    assertEquals("early-late", str(q.poll(100)));
  }

  @Test
  void attachToEmptyQueueDoesNotWake() {
    OutboundQueue q = new OutboundQueue(10, 1000, metrics);
    q.attach(wakeups::incrementAndGet);
    assertEquals(0, wakeups.get());
  }

  // ---------------------------------------------------------------- wakeups

  @Test
  void wakeupOncePerIdleToBusyTransition() {
    OutboundQueue q = attached(100, 10_000);
    q.offer(frame("1"));
    q.offer(frame("2"));
    q.offer(frame("3"));
    assertEquals(1, wakeups.get());
    assertEquals("123", str(q.poll(100)));
    // still busy until a poll finds nothing: no new wakeup
    q.offer(frame("4"));
    assertEquals(1, wakeups.get());
    assertEquals("4", str(q.poll(100)));
    assertNull(q.poll(100)); // idle now
    q.offer(frame("5"));
    assertEquals(2, wakeups.get());
    q.offer(frame("6"));
    assertEquals(2, wakeups.get());
    assertEquals("56", str(q.poll(100)));
    assertNull(q.poll(100));
    q.offer(frame("7"));
    assertEquals(3, wakeups.get());
  }

  @Test
  void wakeupRunsOutsideTheLock() throws Exception {
    // the stage may call poll from inside the wakeup; this must not deadlock or misbehave
    OutboundQueue q = new OutboundQueue(10, 1000, metrics);
    StringBuilder drained = new StringBuilder();
    Thread[] other = new Thread[1];
    q.attach(() -> {
      wakeups.incrementAndGet();
      other[0] = new Thread(() -> {
        ByteBuf b;
        while ((b = q.poll(100)) != null) drained.append(str(b));
      });
      other[0].start();
      try {
        other[0].join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertTrue(q.offer(frame("x")));
    assertFalse(other[0].isAlive(), "poll from another thread during wakeup must not block");
    assertEquals("x", drained.toString());
    assertEquals(1, wakeups.get());
  }

  // ---------------------------------------------------------------- overflow

  @Test
  void overflowByFrameCount() {
    OutboundQueue q = attached(3, 1_000_000);
    assertTrue(q.offer(frame("a")));
    assertTrue(q.offer(frame("b")));
    assertTrue(q.offer(frame("c")));
    assertEquals(1, wakeups.get());
    assertFalse(q.offer(frame("d")));
    assertEquals(0, q.queuedFrames());
    assertEquals(0, q.queuedBytes());
    assertSame(CloseReason.SLOW_CONSUMER, q.closeRequest());
    assertEquals(4000, q.closeRequest().code());
    assertEquals(1, metrics.slowConsumerCloses.sum());
    assertEquals(2, wakeups.get(), "the close forces a wakeup although one was pending");
    assertNull(q.poll(100), "pending frames were dropped");
    // later offers are refused and not counted again
    assertFalse(q.offer(frame("e")));
    assertFalse(q.offer(frame("f")));
    assertEquals(0, q.queuedFrames());
    assertEquals(1, metrics.slowConsumerCloses.sum());
    assertEquals(2, wakeups.get());
    assertSame(CloseReason.SLOW_CONSUMER, q.closeRequest());
  }

  @Test
  void overflowByBytes() {
    OutboundQueue q = attached(1000, 10);
    assertTrue(q.offer(frame(6, 'a')));
    assertTrue(q.offer(frame(4, 'b'))); // exactly at the bound
    assertEquals(10, q.queuedBytes());
    assertFalse(q.offer(frame(1, 'c')));
    assertEquals(0, q.queuedFrames());
    assertEquals(0, q.queuedBytes());
    assertSame(CloseReason.SLOW_CONSUMER, q.closeRequest());
    assertEquals(1, metrics.slowConsumerCloses.sum());
    assertNull(q.poll(100));
    assertFalse(q.offer(frame(1, 'd')));
    assertEquals(1, metrics.slowConsumerCloses.sum());
  }

  @Test
  void singleFrameOverByteBoundOverflows() {
    OutboundQueue q = attached(1000, 10);
    assertFalse(q.offer(frame(11, 'a')));
    assertSame(CloseReason.SLOW_CONSUMER, q.closeRequest());
    assertEquals(1, wakeups.get());
  }

  @Test
  void boundsFreeUpAsFramesArePolled() {
    OutboundQueue q = attached(2, 10);
    assertTrue(q.offer(frame(5, 'a')));
    assertTrue(q.offer(frame(5, 'b')));
    assertEquals("aaaaabbbbb", str(q.poll(100)));
    assertTrue(q.offer(frame(5, 'c')));
    assertTrue(q.offer(frame(5, 'd')));
    assertNull(q.closeRequest());
    assertEquals(0, metrics.slowConsumerCloses.sum());
  }

  @Test
  void overflowBeforeAttachWakesOnAttach() {
    OutboundQueue q = new OutboundQueue(1, 100, metrics);
    assertTrue(q.offer(frame("a")));
    assertFalse(q.offer(frame("b")));
    assertSame(CloseReason.SLOW_CONSUMER, q.closeRequest());
    q.attach(wakeups::incrementAndGet);
    assertEquals(1, wakeups.get(), "the close must reach the stage");
    assertNull(q.poll(100));
  }

  // ---------------------------------------------------------------- close

  @Test
  void closeKeepingPendingFrames() {
    OutboundQueue q = attached(10, 1000);
    q.offer(frame("a"));
    q.offer(frame("b"));
    q.close(CloseReason.IDLE_TIMEOUT, false);
    assertSame(CloseReason.IDLE_TIMEOUT, q.closeRequest());
    assertFalse(q.offer(frame("c")), "no offers after close");
    assertEquals("ab", str(q.poll(100)));
    assertNull(q.poll(100));
    assertSame(CloseReason.IDLE_TIMEOUT, q.closeRequest());
    assertEquals(0, metrics.slowConsumerCloses.sum());
  }

  @Test
  void closeDiscardingPendingFrames() {
    OutboundQueue q = attached(10, 1000);
    q.offer(frame("a"));
    q.offer(frame("b"));
    q.close(CloseReason.RATE_LIMITED, true);
    assertEquals(0, q.queuedFrames());
    assertEquals(0, q.queuedBytes());
    assertNull(q.poll(100));
    assertSame(CloseReason.RATE_LIMITED, q.closeRequest());
    assertFalse(q.offer(frame("c")));
  }

  @Test
  void closeForcesWakeupWhileOneIsPending() {
    OutboundQueue q = attached(10, 1000);
    q.offer(frame("a"));
    assertEquals(1, wakeups.get());
    q.close(CloseReason.NORMAL, false);
    assertEquals(2, wakeups.get());
  }

  @Test
  void closeOnIdleQueueWakes() {
    OutboundQueue q = attached(10, 1000);
    q.close(CloseReason.NORMAL, false);
    assertEquals(1, wakeups.get());
    assertNull(q.poll(100));
    assertSame(CloseReason.NORMAL, q.closeRequest());
  }

  @Test
  void firstCloseWins() {
    OutboundQueue q = attached(10, 1000);
    q.offer(frame("a"));
    q.close(CloseReason.IDLE_TIMEOUT, false);
    int afterFirst = wakeups.get();
    q.close(CloseReason.DISCONNECTED, true);
    assertSame(CloseReason.IDLE_TIMEOUT, q.closeRequest());
    assertEquals(afterFirst, wakeups.get(), "an ignored close does not wake");
    assertEquals("a", str(q.poll(100)), "the ignored discarding close did not drop frames");
  }

  @Test
  void closeAfterOverflowIsIgnored() {
    OutboundQueue q = attached(1, 1000);
    q.offer(frame("a"));
    q.offer(frame("b"));
    q.close(CloseReason.NORMAL, false);
    assertSame(CloseReason.SLOW_CONSUMER, q.closeRequest());
  }

  @Test
  void closeBeforeAttachDoesNotRunAMissingWakeupAndAttachWakes() {
    OutboundQueue q = new OutboundQueue(10, 1000, metrics);
    q.offer(frame("a"));
    q.close(CloseReason.NORMAL, false); // no wakeup yet: must not throw
    q.attach(wakeups::incrementAndGet);
    assertEquals(1, wakeups.get());
    assertArrayEquals("a".getBytes(StandardCharsets.UTF_8), array(q.poll(100)));
    assertSame(CloseReason.NORMAL, q.closeRequest());
  }

  // ---------------------------------------------------------------- terminate

  @Test
  void terminateRefusesOffersAndFreesTheQueue() {
    OutboundQueue q = attached(10, 1000);
    q.offer(frame("a"));
    q.terminate();
    assertEquals(0, q.queuedFrames());
    assertEquals(0, q.queuedBytes());
    assertSame(CloseReason.NORMAL, q.closeRequest());
    assertFalse(q.offer(frame("b")));
    assertNull(q.poll(100));
    assertEquals(0, metrics.slowConsumerCloses.sum());
  }

  @Test
  void terminateKeepsAnEarlierCloseReason() {
    OutboundQueue q = attached(10, 1000);
    q.close(CloseReason.IDLE_TIMEOUT, false);
    q.terminate();
    assertSame(CloseReason.IDLE_TIMEOUT, q.closeRequest());
    assertFalse(q.offer(frame("b")));
  }

  // ---------------------------------------------------------------- slow-consumer reasons

  @Test
  void anOverflowIsCountedAsQueueFull() {
    OutboundQueue q = attached(1, 1000);
    q.offer(frame("a"));
    q.offer(frame("b"));
    assertEquals(1, metrics.slowConsumerClosesBy("queue_full"));
    assertEquals(0, metrics.slowConsumerClosesBy("stalled"));
  }

  @Test
  void closeSlowDropsTheQueueAndCountsItsReasonOnce() {
    OutboundQueue q = attached(10, 1000);
    q.offer(frame("a"));
    assertTrue(q.closeSlow(SlowReason.STALLED));
    assertSame(CloseReason.SLOW_CONSUMER, q.closeRequest());
    assertEquals(0, q.queuedFrames(), "dropped at once");
    assertEquals(2, wakeups.get(), "the close reaches the writer");
    assertFalse(q.closeSlow(SlowReason.BUDGET), "already closing");
    assertEquals(1, metrics.slowConsumerClosesBy("stalled"));
    assertEquals(0, metrics.slowConsumerClosesBy("budget"));
    assertEquals(1, metrics.slowConsumerCloses.sum());
  }

  @Test
  void closeSlowOfAConnectionClosingForAnotherReasonCountsNothing() {
    OutboundQueue q = attached(10, 1000);
    q.close(CloseReason.IDLE_TIMEOUT, false);
    assertFalse(q.closeSlow(SlowReason.BUDGET));
    assertSame(CloseReason.IDLE_TIMEOUT, q.closeRequest());
    assertEquals(0, metrics.slowConsumerCloses.sum());
  }

  // ---------------------------------------------------------------- the node's backlog

  private long backlog() {
    return metrics.outboundBacklogBytes.sum();
  }

  @Test
  void queuedFramesCountTheirBytesAndTheirCostUntilPolled() {
    OutboundQueue q = attached(100, 10_000);
    q.offer(frame(100, 'a'));
    q.offer(frame(50, 'b'));
    long cost = OutboundQueue.FRAME_COST;
    assertEquals(150 + 2 * cost, backlog());
    assertEquals(150 + 2 * cost, q.backlogBytes());
    q.offer(frame(10, 'c'));
    assertEquals(150, str(q.poll(150)).length(), "a batch of two frames");
    assertEquals(10 + cost, backlog());
    assertEquals(10, str(q.poll(150)).length());
    assertEquals(0, backlog());
    assertEquals(0, q.backlogBytes());
  }

  @Test
  void whatTheSocketHasNotTakenCountsAsTheWriterReportsIt() {
    OutboundQueue q = attached(100, 10_000);
    q.socketBacklog(5000);
    assertEquals(5000, backlog());
    q.offer(frame(100, 'a'));
    assertEquals(5100 + OutboundQueue.FRAME_COST, q.backlogBytes());
    q.socketBacklog(2000);
    assertEquals(2100 + OutboundQueue.FRAME_COST, backlog());
    str(q.poll(1000));
    q.socketBacklog(0);
    assertEquals(0, backlog());
  }

  @Test
  void droppedAndTerminatedQueuesTakeTheirBacklogOut() {
    OutboundQueue a = attached(100, 10_000);
    OutboundQueue b = attached(100, 10_000);
    a.offer(frame(100, 'a'));
    a.socketBacklog(300);
    b.offer(frame(200, 'b'));
    b.socketBacklog(700);
    a.closeSlow(SlowReason.BUDGET);
    assertEquals(300, a.backlogBytes(), "the queue dropped; Netty's buffer goes when the connection ends");
    assertEquals(300 + 900 + OutboundQueue.FRAME_COST, backlog());
    a.terminate();
    b.terminate();
    assertEquals(0, backlog());
    assertFalse(b.offer(frame(10, 'x')));
    assertEquals(0, backlog(), "refused offers never count");
  }

  @Test
  void anOverflowTakesTheWholeQueueOut() {
    OutboundQueue q = attached(1000, 100);
    q.offer(frame(60, 'a'));
    q.offer(frame(60, 'b'));
    assertEquals(0, backlog());
  }
}
