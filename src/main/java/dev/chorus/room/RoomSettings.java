package dev.chorus.room;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code chorus.room} section of reference.conf. */
public record RoomSettings(Duration registrationRefresh, String crashEvent) {
  public static RoomSettings fromConfig(Config chorus) {
    return new RoomSettings(
        chorus.getDuration("room.registration-refresh"), chorus.getString("testing.crash-event"));
  }
}
