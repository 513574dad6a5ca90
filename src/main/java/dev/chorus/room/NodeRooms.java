package dev.chorus.room;

import dev.chorus.metrics.Metrics;
import dev.chorus.webhooks.WebhookSender;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the rooms of one node share, across the threads their actors run on: the count of room
 * entities the node hosts (bounded by {@code chorus.room.max-rooms}), the history budget of
 * their entities ({@link HistoryBudget}), the bytes of recovery replays its local rooms
 * hold until their clients take them ({@code chorus.room.node-replay-max-bytes}), and whether
 * the cluster's membership is unsettled (joins may have been lost with a node). Thread-safe.
 */
public final class NodeRooms {
  private final int maxRooms;
  private final long maxReplayBytes;
  private final Metrics metrics;
  private final AtomicInteger entities = new AtomicInteger();
  private final AtomicLong replayBytes = new AtomicLong();
  final HistoryBudget history;
  private final long settleNanos;
  // Written by the node's LocalRooms actor alone, read by its local rooms.
  private volatile int unreachableMembers;
  private volatile long lostMemberAt = Long.MIN_VALUE / 2;

  /** Where the room entities of this node send their topics' webhook events; null when webhooks are off. */
  final WebhookSender webhooks;
  /** How long user_left waits (chorus.webhooks.user-left-delay). */
  final long userLeftDelayMs;

  public NodeRooms(RoomSettings settings, Metrics metrics) {
    this(settings, metrics, null, 0);
  }

  public NodeRooms(RoomSettings settings, Metrics metrics, WebhookSender webhooks, long userLeftDelayMs) {
    this.webhooks = webhooks;
    this.userLeftDelayMs = userLeftDelayMs;
    this.settleNanos = settings.joinTimeout().toNanos();
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

  /** How many cluster members this node sees unreachable now. */
  void unreachableMembers(int count) {
    unreachableMembers = count;
  }

  /** A member was downed or removed: what was sent to it is lost. */
  void memberLost() {
    lostMemberAt = System.nanoTime();
  }

  /**
   * Whether a join sent to a room entity may have been lost with its node: a member is
   * unreachable, or one was downed or removed within the last join-timeout. Only then do local
   * rooms send unanswered joins again; in a settled cluster a slow answer means a busy entity,
   * and asking it twice would only add to its work (measured: 3x the join timeouts of a
   * saturated fresh cluster).
   */
  boolean membershipUnsettled() {
    return unreachableMembers > 0 || System.nanoTime() - lostMemberAt < settleNanos;
  }
}
