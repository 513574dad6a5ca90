package dev.chorus.transport;

import dev.chorus.metrics.Metrics;
import dev.chorus.protocol.Vsn;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

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
 * waits, so one slow client cannot slow a room. The connection's stall deadline and the node's
 * outbound budget close a slow consumer the same way ({@link #closeSlow}).
 *
 * <p>The queue keeps the node's backlog ({@link Metrics#outboundBacklogBytes}) up to date: each
 * frame it holds counts its bytes plus {@link #FRAME_COST}, and the writer reports what Netty's
 * buffer holds for the socket ({@link #socketBacklog}); both are taken out again when written,
 * dropped or when the connection ends.
 *
 * <p>The writer is woken at most once per batch: an offer only wakes it when it is idle, and it
 * then drains everything queued into one write.
 */
public final class OutboundQueue {
  /**
   * What a queued frame costs beyond its bytes, on the heap, per member: a broadcast's buffer
   * duplicate and its slot in the queue measured ~54 B (a frame rendered for one member alone,
   * with its own buffer object, 100-136 B); see outbound-node-budget in reference.conf.
   */
  static final int FRAME_COST = 64;

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
  /** The connection's serializer; set once by its admission, before the queue is shared. */
  private Vsn vsn = Vsn.V2;
  /** What Netty's buffer holds for the socket, as the writer last saw it. */
  private final AtomicLong socketBytes = new AtomicLong();

  public OutboundQueue(int maxFrames, long maxBytes, Metrics metrics) {
    this.maxFrames = maxFrames;
    this.maxBytes = maxBytes;
    this.metrics = metrics;
  }

  /** Sets the connection's serializer (admission does, before the queue is shared). */
  void vsn(Vsn vsn) {
    this.vsn = vsn;
  }

  /** The connection's serializer. */
  public Vsn vsn() {
    return vsn;
  }

  /** Whether the connection speaks V1 ({@code vsn=1.0.0}): a room renders its broadcasts once more for such members. */
  public boolean speaksV1() {
    return vsn == Vsn.V1;
  }

  /**
   * Queues a frame, taking ownership of it; false when the connection is closing or closed (the
   * frame is released). Frames are rendered in V2; a V1 connection's are rendered again here
   * ({@link V1Frames}), except a broadcast its room rendered in V1 already.
   */
  public boolean offer(ByteBuf frame) {
    if (vsn == Vsn.V1) frame = V1Frames.toV1(frame);
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
        metrics.outboundBacklogBytes.add(size + FRAME_COST);
      } else {
        frame.release();
        metrics.slowConsumerClosed(SlowReason.QUEUE_FULL.label());
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

  /**
   * Closes the connection as a slow consumer ({@link CloseReason#SLOW_CONSUMER}) for {@code why},
   * dropping what is queued at once; false (and nothing counted) when it was already closing.
   */
  public boolean closeSlow(SlowReason why) {
    boolean wake;
    synchronized (this) {
      if (close != null) return false;
      metrics.slowConsumerClosed(why.label());
      requestClose(CloseReason.SLOW_CONSUMER, true);
      wake = forceWakeup();
    }
    if (wake) wakeup.run();
    return true;
  }

  private void requestClose(CloseReason reason, boolean discard) {
    close = reason;
    discardPending = discard;
    if (discard) releaseAll();
  }

  private void releaseAll() {
    metrics.outboundBacklogBytes.add(-(bytes + (long) frames.size() * FRAME_COST));
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
      taken(size, 1);
      return first;
    }
    CompositeByteBuf batch = ByteBufAllocator.DEFAULT.compositeDirectBuffer(Integer.MAX_VALUE);
    batch.addComponent(true, first);
    while (!frames.isEmpty() && size + frames.peekFirst().readableBytes() <= maxBatchBytes) {
      ByteBuf next = frames.pollFirst();
      size += next.readableBytes();
      batch.addComponent(true, next);
    }
    taken(size, batch.numComponents());
    return batch;
  }

  private void taken(int size, int count) {
    bytes -= size;
    metrics.outboundBacklogBytes.add(-(size + (long) count * FRAME_COST));
  }

  /**
   * The writer saw {@code pending} bytes in Netty's buffer that the socket has not taken yet
   * (called by the connection's event loop after it writes, and when it checks for a stall).
   */
  void socketBacklog(long pending) {
    long before = socketBytes.getAndSet(pending);
    if (pending != before) metrics.outboundBacklogBytes.add(pending - before);
  }

  /** What the connection holds that its socket has not taken: queued frames with their cost, and Netty's buffer. */
  long backlogBytes() {
    long queued;
    synchronized (this) {
      queued = bytes + (long) frames.size() * FRAME_COST;
    }
    return queued + socketBytes.get();
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
    socketBacklog(0); // the channel has closed: Netty has released its buffer
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
