package dev.chorus.ops;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code chorus.admin} section of reference.conf, where each key is documented. */
public record AdminSettings(
    String key, int maxRoomsListed, Duration askTimeout, Duration sampleInterval, Duration sampleHistory, int maxStreams,
    int maxBodyBytes) {
  public static AdminSettings fromConfig(Config chorus) {
    AdminSettings s = new AdminSettings(
        chorus.getString("admin.key"), chorus.getInt("admin.max-rooms-listed"), chorus.getDuration("admin.ask-timeout"),
        chorus.getDuration("admin.sample-interval"), chorus.getDuration("admin.sample-history"), chorus.getInt("admin.max-streams"),
        (int) Math.min(Integer.MAX_VALUE, chorus.getBytes("admin.max-body-bytes")));
    if (s.maxRoomsListed < 1) throw new IllegalArgumentException("chorus.admin.max-rooms-listed must be at least 1");
    if (s.sampleInterval.toMillis() < 10) throw new IllegalArgumentException("chorus.admin.sample-interval must be at least 10 ms");
    if (s.sampleHistory.compareTo(s.sampleInterval) < 0) {
      throw new IllegalArgumentException("chorus.admin.sample-history must be at least chorus.admin.sample-interval");
    }
    if (s.maxBodyBytes < 64) throw new IllegalArgumentException("chorus.admin.max-body-bytes must be at least 64 bytes");
    if (s.maxStreams < 1) throw new IllegalArgumentException("chorus.admin.max-streams must be at least 1");
    return s;
  }

  /** How many samples each node keeps: sample-history / sample-interval. */
  public int samplesKept() {
    return (int) Math.max(1, sampleHistory.toMillis() / sampleInterval.toMillis());
  }
}
