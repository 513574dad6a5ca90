package dev.chorus.transport;

import dev.chorus.metrics.Metrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.util.ArrayDeque;

/**
 * A connection's bounded outbound queue of rendered WebSocket frames. Rooms, channels and the
 * session offer frames from their own threads; the connection's event loop drains them.
 *
 * <p>Frames are reference-counted Netty buffers and the queue owns what it is given: a room
 * offers each member a retained duplicate of one rendered broadcast (never a copy), and every
 * frame the queue drops, refuses or frees is released here; a polled batch is the writer's to
 * write (Netty releases it once written).
 *
 * <p>It is bounded by frames and by bytes. An offer that would pass either bound marks the
 * connection a slow consumer: everything queued is dropped at once (its memory released) and
 * the connection is closed with {@link CloseReason#SLOW_CONSUMER}. The offering room never
 * waits, so one slow client cannot slow a room.
 *
 * <p>The writer is woken at most once per batch: an offer only wakes it when it is idle, and it
 * then drains everything queued into one write.
 */
public final class OutboundQueue {
  private final int maxFrames;
  private final long maxBytes;
  private final Metrics metrics;
  private final ArrayDeque<ByteBuf> frames = new ArrayDeque<>();
  private long bytes;
  private boolean wakeupPending;
  private Runnable wakeup; // set when the connection's writer starts
  private CloseReason close; // once set, offers are refused
  private boolean discardPending;
  private Runnable onTerminate = () -> {};

  public OutboundQueue(int maxFrames, long maxBytes, Metrics metrics) {
    this.maxFrames = maxFrames;
    this.maxBytes = maxBytes;
    this.metrics = metrics;
  }

  /**
   * Queues a frame, taking ownership of it; false when the connection is closing or closed (the
   * frame is released).
   */
  public boolean offer(ByteBuf frame) {
    boolean wake, accepted;
    synchronized (this) {
      if (close != null) {
        frame.release();
        return false;
      }
      int size = frame.readableBytes();
      accepted = frames.size() < maxFrames && bytes + size <= maxBytes;
      if (accepted) {
        frames.addLast(frame);
        bytes += size;
      } else {
        frame.release();
        metrics.slowConsumerCloses.increment();
        requestClose(CloseReason.SLOW_CONSUMER, true);
      }
      wake = accepted ? takeWakeup() : forceWakeup();
    }
    if (wake) wakeup.run();
    return accepted;
  }

  /**
   * Closes the connection with {@code reason}: after the frames already queued have been
   * written, or at once, dropping them, when {@code discardPending}. The first close wins.
   */
  public void close(CloseReason reason, boolean discardPending) {
    boolean wake;
    synchronized (this) {
      if (close != null) return;
      requestClose(reason, discardPending);
      wake = forceWakeup();
    }
    if (wake) wakeup.run();
  }

  private void requestClose(CloseReason reason, boolean discard) {
    close = reason;
    discardPending = discard;
    if (discard) releaseAll();
  }

  private void releaseAll() {
    ByteBuf frame;
    while ((frame = frames.pollFirst()) != null) frame.release();
    bytes = 0;
  }

  /** A close must reach the writer even while it is busy writing (a slow consumer's is). */
  private boolean forceWakeup() {
    wakeupPending = wakeup != null;
    return wakeupPending;
  }

  private boolean takeWakeup() {
    if (wakeupPending || wakeup == null) return false;
    wakeupPending = true;
    return true;
  }

  // ---- consumer side, called only by the connection's event loop ----

  synchronized void attach(Runnable wakeup) {
    this.wakeup = wakeup;
    if (!frames.isEmpty() || close != null) {
      wakeupPending = true;
      wakeup.run();
    }
  }

  /**
   * Takes queued frames as one write of at most about {@code maxBatchBytes} (a single frame, or
   * a composite buffer over several: gathered by the socket write, never copied), or null when
   * there are none; in that case the next offer wakes the writer again.
   */
  synchronized ByteBuf poll(int maxBatchBytes) {
    ByteBuf first = frames.pollFirst();
    if (first == null) {
      wakeupPending = false;
      return null;
    }
    int size = first.readableBytes();
    if (frames.isEmpty() || size + frames.peekFirst().readableBytes() > maxBatchBytes) {
      bytes -= size;
      return first;
    }
    CompositeByteBuf batch = ByteBufAllocator.DEFAULT.compositeDirectBuffer(Integer.MAX_VALUE);
    batch.addComponent(true, first);
    while (!frames.isEmpty() && size + frames.peekFirst().readableBytes() <= maxBatchBytes) {
      ByteBuf next = frames.pollFirst();
      size += next.readableBytes();
      batch.addComponent(true, next);
    }
    bytes -= size;
    return batch;
  }

  /** The close requested, or null; only meaningful once {@link #poll} returned null. */
  synchronized CloseReason closeRequest() {
    return close;
  }

  /** Runs once when the connection has ended (the node's {@link Connections} forgets it). */
  synchronized void onTerminate(Runnable action) {
    this.onTerminate = action;
  }

  /** Called when the connection has ended: frees what is queued and refuses later offers. */
  void terminate() {
    Runnable action;
    synchronized (this) {
      if (close == null) close = CloseReason.NORMAL;
      releaseAll();
      action = onTerminate;
      onTerminate = () -> {};
    }
    action.run();
  }

  synchronized int queuedFrames() {
    return frames.size();
  }

  /** Bytes queued and not yet taken by the writer (a recovering room paces its replay by it). */
  public synchronized long queuedBytes() {
    return bytes;
  }
}
