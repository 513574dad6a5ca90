package dev.chorus.session;

import dev.chorus.ops.Metrics;
import java.util.ArrayDeque;
import org.apache.pekko.util.ByteString;

/**
 * A connection's bounded outbound queue of rendered WebSocket frames. Rooms, channels and the
 * session offer frames from their own threads; the connection's stream stage drains them.
 *
 * <p>It is bounded by frames and by bytes. An offer that would pass either bound marks the
 * connection a slow consumer: everything queued is dropped at once (its memory released) and
 * the connection is closed with {@link CloseReason#SLOW_CONSUMER}. The offering room never
 * waits, so one slow client cannot slow a room.
 *
 * <p>The stage is woken at most once per batch: an offer only wakes it when it is idle, and it
 * then drains everything queued into one write.
 */
public final class OutboundQueue {
  private final int maxFrames;
  private final long maxBytes;
  private final Metrics metrics;
  private final ArrayDeque<ByteString> frames = new ArrayDeque<>();
  private long bytes;
  private boolean wakeupPending;
  private Runnable wakeup; // set when the connection's stage starts
  private CloseReason close; // once set, offers are refused
  private boolean discardPending;
  private Runnable onTerminate = () -> {};

  public OutboundQueue(int maxFrames, long maxBytes, Metrics metrics) {
    this.maxFrames = maxFrames;
    this.maxBytes = maxBytes;
    this.metrics = metrics;
  }

  /** Queues a frame; false when the connection is closing or closed (the frame is dropped). */
  public boolean offer(ByteString frame) {
    boolean wake, accepted;
    synchronized (this) {
      if (close != null) return false;
      accepted = frames.size() < maxFrames && bytes + frame.size() <= maxBytes;
      if (accepted) {
        frames.addLast(frame);
        bytes += frame.size();
      } else {
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
    if (discard) {
      frames.clear();
      bytes = 0;
    }
  }

  /** A close must reach the stage even while it is busy writing (a slow consumer's stage is). */
  private boolean forceWakeup() {
    wakeupPending = wakeup != null;
    return wakeupPending;
  }

  private boolean takeWakeup() {
    if (wakeupPending || wakeup == null) return false;
    wakeupPending = true;
    return true;
  }

  // ---- consumer side, called only by the connection's stage ----

  synchronized void attach(Runnable wakeup) {
    this.wakeup = wakeup;
    if (!frames.isEmpty() || close != null) {
      wakeupPending = true;
      wakeup.run();
    }
  }

  /**
   * Takes queued frames, concatenated into one write of at most about {@code maxBatchBytes}, or
   * null when there are none; in that case the next offer wakes the stage again.
   */
  synchronized ByteString poll(int maxBatchBytes) {
    ByteString first = frames.pollFirst();
    if (first == null) {
      wakeupPending = false;
      return null;
    }
    ByteString batch = first;
    while (!frames.isEmpty() && batch.size() + frames.peekFirst().size() <= maxBatchBytes) {
      batch = batch.concat(frames.pollFirst());
    }
    bytes -= batch.size();
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
      frames.clear();
      bytes = 0;
      action = onTerminate;
      onTerminate = () -> {};
    }
    action.run();
  }

  synchronized int queuedFrames() {
    return frames.size();
  }

  synchronized long queuedBytes() {
    return bytes;
  }
}
