package dev.chorus.room;

import dev.chorus.metrics.Metrics;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the rooms of one node share, across the threads their actors run on: the count of room
 * entities the node hosts (bounded by {@code chorus.room.max-rooms}), the history budget of
 * their entities ({@link HistoryBudget}), and the bytes of recovery replays its local rooms
 * hold until their clients take them ({@code chorus.room.node-replay-max-bytes}). Thread-safe.
 */
public final class NodeRooms {
  private final int maxRooms;
  private final long maxReplayBytes;
  private final Metrics metrics;
  private final AtomicInteger entities = new AtomicInteger();
  private final AtomicLong replayBytes = new AtomicLong();
  final HistoryBudget history;

  public NodeRooms(RoomSettings settings, Metrics metrics) {
    this.maxRooms = settings.maxRooms();
    this.maxReplayBytes = settings.nodeReplayMaxBytes();
    this.metrics = metrics;
    this.history = new HistoryBudget(settings.nodeHistoryMaxBytes(), metrics);
  }

  /**
   * A room entity starts on this node; false when the node already hosts max-rooms (this one
   * counts all the same, until {@link #entityStopped}).
   */
  boolean entityStarted() {
    metrics.roomEntities.incrementAndGet();
    return entities.incrementAndGet() <= maxRooms;
  }

  void entityStopped() {
    metrics.roomEntities.decrementAndGet();
    entities.decrementAndGet();
  }

  /** Room entities running on this node. */
  public int entities() {
    return entities.get();
  }

  /** Bytes of history the node's entities keep. */
  public long historyBytes() {
    return history.bytes();
  }

  /** Takes {@code bytes} of the node's replay budget; false (nothing taken) when they do not fit. */
  boolean reserveReplay(long bytes) {
    while (true) {
      long held = replayBytes.get();
      if (held + bytes > maxReplayBytes) return false;
      if (replayBytes.compareAndSet(held, held + bytes)) {
        metrics.replayBytesHeld.addAndGet(bytes);
        return true;
      }
    }
  }

  void releaseReplay(long bytes) {
    replayBytes.addAndGet(-bytes);
    metrics.replayBytesHeld.addAndGet(-bytes);
  }

  /** Bytes of replays held by this node's local rooms. */
  public long replayBytes() {
    return replayBytes.get();
  }
}
