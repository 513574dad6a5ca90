package dev.chorus.room;

import dev.chorus.transport.WebSocketFrames;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.pekko.util.ByteString;

/**
 * A topic's bounded history, and what a rejoining client may recover from it: the pure core of
 * {@link RoomEntity}, apart from the actor so that trimming and the recovery decision are tested
 * without an actor system. It keeps at most {@code history-size} messages and
 * {@code history-max-bytes} bytes, none older than {@code history-ttl}; and its node's
 * {@link HistoryBudget} may take its oldest messages when all histories of the node together
 * hold too much. The clock is a parameter ({@code nowMillis}, wall-clock milliseconds), so a
 * test moves time by passing another number.
 *
 * <p>The frames are kept off the heap, in pooled direct buffers: a history lives for minutes,
 * so on the heap every message would be copied by a young collection and then promoted (with
 * 4 KB messages that made most of the collector's work, and its pauses). The history owns its
 * buffers: trimming and eviction release them, and {@link #close} releases the rest when the
 * entity stops. Reads copy frames out to the heap, under the budget's monitor: another entity's
 * message may evict from this history at any time (see {@link HistoryBudget}).
 */
final class RoomHistory {

  /** Why messages leave a history (labels of chorus_history_evictions_total). */
  static final String COUNT = "count", AGE = "age", ROOM_BYTES = "room_bytes", NODE_BYTES = "node_bytes";

  /** A kept message: its seq and a copy of its rendered frame on the heap. */
  record Entry(long seq, ByteString frame) {}

  /** A page of kept messages after a seq; {@code more}: further ones are kept after the last. */
  record Page(List<Entry> entries, boolean more) {
    /** The seqs of its messages, in order, as the messages that carry a page across nodes hold them. */
    List<Long> seqs() {
      return entries.stream().map(Entry::seq).toList();
    }

    /** Its frames, in the order of {@link #seqs}. */
    List<ByteString> frames() {
      return entries.stream().map(Entry::frame).toList();
    }
  }

  /**
   * A join's recovery: {@code recovered} is null for a fresh join (no {@code since}), true when
   * {@code replay} holds every message after its position, false when nothing could be replayed,
   * {@code reason} saying why.
   */
  record Recovery(Boolean recovered, String reason, List<ByteString> replay) {
    static final Recovery FRESH = new Recovery(null, null, List.of());

    static Recovery failed(String reason) {
      return new Recovery(false, reason, List.of());
    }

    /** Bytes of the frames to replay. */
    long bytes() {
      long n = 0;
      for (ByteString f : replay) n += f.size();
      return n;
    }
  }

  /** The reasons of {@code recovered: false} decided here (docs/protocol.md §8). */
  static final String ROOM_RESTARTED = "room restarted", AHEAD = "position ahead of the room", GONE = "history gone";

  private static final class Kept {
    final long seq;
    final long atMillis;
    final ByteBuf frame;

    Kept(long seq, long atMillis, ByteBuf frame) {
      this.seq = seq;
      this.atMillis = atMillis;
      this.frame = frame;
    }

    ByteString copy() {
      byte[] bytes = new byte[frame.readableBytes()];
      frame.getBytes(frame.readerIndex(), bytes);
      return ByteString.fromArrayUnsafe(bytes);
    }
  }

  private static final AtomicLong IDS = new AtomicLong();

  /** Orders histories of the same size in the budget. */
  final long id = IDS.incrementAndGet();
  /** Bytes kept; changed only by the budget, under its monitor. */
  long bytes;
  private final int maxSize;
  private final long ttlMillis;
  private final long maxBytes;
  private final HistoryBudget budget;
  private final ArrayDeque<Kept> entries = new ArrayDeque<>();
  private boolean closed;

  /** A history in a node's budget. */
  RoomHistory(int maxSize, Duration ttl, long maxBytes, HistoryBudget budget) {
    this.maxSize = maxSize;
    this.ttlMillis = ttl.toMillis();
    this.maxBytes = maxBytes;
    this.budget = budget;
  }

  /** A history bounded by count and age only, in a budget of its own. */
  RoomHistory(int maxSize, Duration ttl) {
    this(maxSize, ttl, Long.MAX_VALUE, HistoryBudget.unbounded());
  }

  /** A history that keeps nothing, for a topic of no configured namespace. */
  static RoomHistory none() {
    return new RoomHistory(0, Duration.ZERO);
  }

  /** Keeps message {@code seq} (the room's latest), sequenced now. */
  void remember(long seq, ByteString frame, long nowMillis) {
    if (maxSize == 0 || maxBytes == 0) return;
    ByteBuf buf = WebSocketFrames.toBuf(frame); // copied off the heap outside the budget's monitor
    synchronized (budget) {
      if (closed) {
        buf.release();
        return;
      }
      entries.addLast(new Kept(seq, nowMillis, buf));
      budget.resize(this, buf.readableBytes());
      trimLocked(nowMillis);
      budget.enforce();
    }
  }

  /** Keeps at most history-size messages and history-max-bytes bytes, none older than history-ttl. */
  void trim(long nowMillis) {
    synchronized (budget) {
      trimLocked(nowMillis);
    }
  }

  private void trimLocked(long nowMillis) {
    long oldest = nowMillis - ttlMillis;
    int byCount = 0, byAge = 0, byBytes = 0;
    while (!entries.isEmpty()) {
      if (entries.size() > maxSize) byCount++;
      else if (entries.peekFirst().atMillis < oldest) byAge++;
      else if (bytes > maxBytes) byBytes++;
      else break;
      dropOldest();
    }
    budget.evicted(COUNT, byCount);
    budget.evicted(AGE, byAge);
    budget.evicted(ROOM_BYTES, byBytes);
  }

  /** Drops the oldest message for {@code cause}; called by the budget under its monitor. */
  void evictOldest(String cause) {
    dropOldest();
    budget.evicted(cause, 1);
  }

  private void dropOldest() {
    Kept k = entries.removeFirst();
    budget.resize(this, -k.frame.readableBytes());
    k.frame.release();
  }

  /** Frees every kept message, and keeps on keeping what comes next (a copy that found a gap starts afresh). */
  void clear() {
    synchronized (budget) {
      Kept k;
      while ((k = entries.pollFirst()) != null) {
        budget.resize(this, -k.frame.readableBytes());
        k.frame.release();
      }
    }
  }

  /** The seq of the oldest kept message, or {@code Long.MAX_VALUE} when nothing is kept. */
  long oldestSeq() {
    synchronized (budget) {
      return entries.isEmpty() ? Long.MAX_VALUE : entries.peekFirst().seq;
    }
  }

  /** Frees every kept message (the entity has stopped); later calls keep nothing. */
  void close() {
    synchronized (budget) {
      closed = true;
      clear();
    }
  }

  /** The kept messages after {@code afterSeq}, oldest first (for the history API). */
  List<Entry> after(long afterSeq, long nowMillis) {
    return after(afterSeq, nowMillis, Long.MAX_VALUE).entries();
  }

  /**
   * The kept messages after {@code afterSeq}, oldest first, at most {@code maxBytes} of frames
   * (but at least one message): a page of the history API's answer, small enough to cross the
   * network as one message.
   */
  Page after(long afterSeq, long nowMillis, long maxBytes) {
    synchronized (budget) {
      trimLocked(nowMillis);
      List<Entry> out = new ArrayList<>();
      long size = 0;
      for (Kept k : entries) {
        if (k.seq <= afterSeq) continue;
        int n = k.frame.readableBytes();
        if (!out.isEmpty() && size + n > maxBytes) return new Page(out, true);
        out.add(new Entry(k.seq, k.copy()));
        size += n;
      }
      return new Page(out, false);
    }
  }

  /**
   * Every kept message after {@code afterSeq}, handed to {@code send} in pages of at most
   * {@code maxBytes} of frames (a larger frame alone), oldest first; at least one page, empty
   * when nothing is kept after it. What crosses to another node whole (a local room's copy for a
   * restarted entity, an entity's catch-up of a local room) is sent this way.
   */
  void forEachPageAfter(long afterSeq, long nowMillis, long maxBytes, Consumer<Page> send) {
    long after = afterSeq;
    while (true) {
      Page page = after(after, nowMillis, maxBytes);
      send.accept(page);
      if (!page.more() || page.entries().isEmpty()) return;
      after = page.entries().get(page.entries().size() - 1).seq();
    }
  }

  /**
   * What a join that asks to recover from {@code since} (null: a fresh join) gets, the room
   * standing at {@code now}. Recovery is complete only when the position is in this epoch, not
   * ahead of the room, and the history still holds every message after it; otherwise nothing is
   * replayed and the client is told so (it reloads).
   */
  Recovery recover(Position since, Position now, long nowMillis) {
    if (since == null) return Recovery.FRESH;
    if (!since.epoch().equals(now.epoch())) return Recovery.failed(ROOM_RESTARTED);
    if (since.seq() > now.seq()) return Recovery.failed(AHEAD);
    synchronized (budget) {
      trimLocked(nowMillis);
      // Nothing kept (history off, or all gone): only a client that missed nothing recovers.
      long oldestKept = entries.isEmpty() ? now.seq() + 1 : entries.peekFirst().seq;
      if (since.seq() + 1 < oldestKept) return Recovery.failed(GONE);
      List<ByteString> replay = new ArrayList<>();
      for (Kept k : entries) if (k.seq > since.seq()) replay.add(k.copy());
      return new Recovery(true, null, List.copyOf(replay));
    }
  }

  int size() {
    synchronized (budget) {
      return entries.size();
    }
  }

  long bytes() {
    synchronized (budget) {
      return bytes;
    }
  }
}
