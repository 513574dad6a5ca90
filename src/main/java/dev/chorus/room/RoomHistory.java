package dev.chorus.room;

import dev.chorus.transport.WebSocketFrames;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;

/**
 * A topic's bounded history, and what a rejoining client may recover from it: the pure core of
 * {@link RoomEntity}, apart from the actor so that trimming and the recovery decision are tested
 * without an actor system. It keeps at most {@code history-size} messages, none older than
 * {@code history-ttl}; the clock is a parameter ({@code nowMillis}, wall-clock milliseconds), so
 * a test moves time by passing another number. Used from its entity only.
 *
 * <p>The frames are kept off the heap, in pooled direct buffers: a history lives for minutes,
 * so on the heap every message would be copied by a young collection and then promoted (with
 * 4 KB messages that made most of the collector's work, and its pauses). The history owns its
 * buffers: trimming releases them, and {@link #close} releases the rest when the entity stops.
 */
final class RoomHistory {

  /** A sequenced message (its rendered frame), kept for recovery and the history API. */
  static final class Entry {
    private final long seq;
    private final long atMillis;
    private final ByteBuf frame;

    private Entry(long seq, long atMillis, ByteBuf frame) {
      this.seq = seq;
      this.atMillis = atMillis;
      this.frame = frame;
    }

    long seq() {
      return seq;
    }

    long atMillis() {
      return atMillis;
    }

    /** A copy of the frame on the heap, to send or answer with. */
    ByteString frame() {
      byte[] bytes = new byte[frame.readableBytes()];
      frame.getBytes(frame.readerIndex(), bytes);
      return ByteString.fromArrayUnsafe(bytes);
    }
  }

  /**
   * A join's recovery: {@code recovered} is null for a fresh join (no {@code since}), true when
   * {@code replay} holds every message after its position, false when nothing could be replayed.
   */
  record Recovery(Boolean recovered, List<ByteString> replay) {
    static final Recovery FRESH = new Recovery(null, List.of());
    static final Recovery FAILED = new Recovery(false, List.of());
  }

  private final int maxSize;
  private final long ttlMillis;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();

  RoomHistory(int maxSize, Duration ttl) {
    this.maxSize = maxSize;
    this.ttlMillis = ttl.toMillis();
  }

  /** A history that keeps nothing, for a topic of no configured namespace. */
  static RoomHistory none() {
    return new RoomHistory(0, Duration.ZERO);
  }

  /** Keeps message {@code seq} (the room's latest), sequenced now. */
  void remember(long seq, ByteString frame, long nowMillis) {
    if (maxSize == 0) return;
    entries.addLast(new Entry(seq, nowMillis, WebSocketFrames.toBuf(frame)));
    trim(nowMillis);
  }

  /** Keeps at most history-size messages, none older than history-ttl. */
  void trim(long nowMillis) {
    long oldest = nowMillis - ttlMillis;
    while (entries.size() > maxSize || (!entries.isEmpty() && entries.peekFirst().atMillis() < oldest)) {
      entries.removeFirst().frame.release();
    }
  }

  /** Frees every kept message (the entity has stopped). */
  void close() {
    Entry e;
    while ((e = entries.pollFirst()) != null) e.frame.release();
  }

  /** The kept messages after {@code afterSeq}, oldest first (for the history API). */
  List<Entry> after(long afterSeq, long nowMillis) {
    trim(nowMillis);
    List<Entry> out = new ArrayList<>();
    for (Entry e : entries) if (e.seq() > afterSeq) out.add(e);
    return out;
  }

  /**
   * What a join that asks to recover from {@code since} (null: a fresh join) gets, the room
   * standing at {@code now}. Recovery is complete only when the position is in this epoch, not
   * ahead of the room, and the history still holds every message after it; otherwise nothing is
   * replayed and the client is told so (it reloads).
   */
  Recovery recover(Position since, Position now, long nowMillis) {
    if (since == null) return Recovery.FRESH;
    trim(nowMillis);
    boolean sameEpoch = since.epoch().equals(now.epoch()) && since.seq() <= now.seq();
    // Nothing kept (history off, or all expired): only a client that missed nothing recovers.
    long oldestKept = entries.isEmpty() ? now.seq() + 1 : entries.peekFirst().seq();
    if (!sameEpoch || since.seq() + 1 < oldestKept) return Recovery.FAILED;
    List<ByteString> replay = new ArrayList<>();
    for (Entry e : entries) if (e.seq() > since.seq()) replay.add(e.frame());
    return new Recovery(true, List.copyOf(replay));
  }

  int size() {
    return entries.size();
  }
}
