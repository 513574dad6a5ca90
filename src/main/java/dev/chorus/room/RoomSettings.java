package dev.chorus.room;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The {@code chorus.room} section of reference.conf (where each key is documented), and the one
 * connection bound the rooms apply themselves: {@code replayHoldBytes}, the outbound queue's
 * byte bound, up to which a recovering member's live frames wait behind its replay; and the
 * test hooks of {@code chorus.testing} that rooms obey.
 */
public record RoomSettings(
    Duration registrationRefresh,
    Duration locateTimeout,
    int locateStash,
    String crashEvent,
    Duration joinTimeout,
    Duration joinRetryInterval,
    int maxRooms,
    Duration idleTimeout,
    long nodeHistoryMaxBytes,
    int replayPageBytes,
    long replayWindowBytes,
    long nodeReplayMaxBytes,
    long replayHoldBytes,
    String silentNamespace) {

  /** Artery's ordinary frame is 256 KiB; a page of replay must fit with its envelope. */
  static final int MAX_REPLAY_PAGE_BYTES = 192 * 1024;

  public RoomSettings {
    if (joinTimeout.isNegative() || joinTimeout.isZero()) throw new IllegalArgumentException("chorus.room.join-timeout must be > 0");
    if (joinRetryInterval.isNegative() || joinRetryInterval.isZero()) throw new IllegalArgumentException("chorus.room.join-retry-interval must be > 0");
    if (maxRooms <= 0) throw new IllegalArgumentException("chorus.room.max-rooms must be > 0");
    if (idleTimeout.isNegative() || idleTimeout.isZero()) throw new IllegalArgumentException("chorus.room.idle-timeout must be > 0");
    if (nodeHistoryMaxBytes < 0) throw new IllegalArgumentException("chorus.room.node-history-max-bytes must be >= 0");
    if (replayPageBytes <= 0 || replayPageBytes > MAX_REPLAY_PAGE_BYTES) {
      throw new IllegalArgumentException("chorus.room.replay-page-bytes must be in 1.." + MAX_REPLAY_PAGE_BYTES
          + " (a page crosses the network as one message, and Artery's frame is 256 KiB)");
    }
    if (replayWindowBytes <= 0 || replayWindowBytes >= replayHoldBytes) {
      throw new IllegalArgumentException("chorus.room.replay-window must be > 0 and under chorus.connection.outbound-max-bytes,"
          + " so that live traffic still fits the queue while a replay drains");
    }
    if (nodeReplayMaxBytes < 0) throw new IllegalArgumentException("chorus.room.node-replay-max-bytes must be >= 0");
  }

  public static RoomSettings fromConfig(Config chorus) {
    return new RoomSettings(
        chorus.getDuration("room.registration-refresh"),
        chorus.getDuration("room.locate-timeout"),
        chorus.getInt("room.locate-stash"),
        chorus.getString("testing.crash-event"),
        chorus.getDuration("room.join-timeout"),
        chorus.getDuration("room.join-retry-interval"),
        chorus.getInt("room.max-rooms"),
        chorus.getDuration("room.idle-timeout"),
        chorus.getBytes("room.node-history-max-bytes"),
        (int) Math.min(Integer.MAX_VALUE, chorus.getBytes("room.replay-page-bytes")),
        chorus.getBytes("room.replay-window"),
        chorus.getBytes("room.node-replay-max-bytes"),
        chorus.getBytes("connection.outbound-max-bytes"),
        chorus.getString("testing.silent-namespace"));
  }
}
