package dev.chorus.ops;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code chorus.admin} section of reference.conf, where each key is documented. */
public record AdminSettings(String key, int maxRoomsListed, Duration askTimeout) {
  public static AdminSettings fromConfig(Config chorus) {
    AdminSettings s = new AdminSettings(
        chorus.getString("admin.key"), chorus.getInt("admin.max-rooms-listed"), chorus.getDuration("admin.ask-timeout"));
    if (s.maxRoomsListed < 1) throw new IllegalArgumentException("chorus.admin.max-rooms-listed must be at least 1");
    return s;
  }
}
