package dev.chorus.room;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code chorus.room} section of reference.conf. */
public record RoomSettings(
    Duration registrationRefresh, Duration locateTimeout, int locateStash, String crashEvent) {
  public static RoomSettings fromConfig(Config chorus) {
    return new RoomSettings(
        chorus.getDuration("room.registration-refresh"),
        chorus.getDuration("room.locate-timeout"),
        chorus.getInt("room.locate-stash"),
        chorus.getString("testing.crash-event"));
  }
}
