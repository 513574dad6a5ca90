package dev.chorus;

import com.typesafe.config.Config;
import dev.chorus.api.ApiSettings;
import dev.chorus.ops.AdminSettings;
import dev.chorus.ops.Drainer;
import dev.chorus.presence.PresenceReplica;
import dev.chorus.room.Namespaces;
import dev.chorus.room.RoomSettings;
import dev.chorus.transport.ConnectionSettings;
import dev.chorus.transport.LongPollSettings;
import dev.chorus.transport.ServerSettings;
import dev.chorus.webhooks.WebhookSettings;

/**
 * Every {@code chorus} setting, read from the configuration once and checked before the node
 * starts (a bad value stops the start with the key's name). Each section's record lives beside
 * the code it configures; reference.conf documents every key.
 */
public record ChorusSettings(
    ServerSettings http,
    ConnectionSettings connection,
    LongPollSettings longPoll,
    RoomSettings room,
    Namespaces namespaces,
    PresenceReplica.Settings presence,
    int presenceMaxMetaBytes,
    Drainer.Settings drain,
    AdminSettings admin,
    ApiSettings api,
    boolean clusterBootstrap,
    WebhookSettings webhooks) {

  /**
   * @throws IllegalArgumentException for a missing, mistyped or out-of-range setting
   */
  public static ChorusSettings fromConfig(Config chorus) {
    try {
      ConnectionSettings connection = ConnectionSettings.fromConfig(chorus.getConfig("connection"));
      return new ChorusSettings(
          ServerSettings.fromConfig(chorus.getConfig("http")),
          connection,
          LongPollSettings.fromConfig(chorus.getConfig("longpoll")),
          RoomSettings.fromConfig(chorus),
          Namespaces.fromConfig(chorus),
          new PresenceReplica.Settings(chorus.getDuration("presence.interval"), chorus.getInt("presence.buckets"),
              chorus.getDuration("presence.write-interval")),
          (int) chorus.getBytes("presence.max-meta-bytes").longValue(),
          new Drainer.Settings(chorus.getDuration("drain.window"), chorus.getDuration("drain.interval"), connection.closeTimeout()),
          AdminSettings.fromConfig(chorus),
          ApiSettings.fromConfig(chorus),
          chorus.getBoolean("cluster.bootstrap"),
          WebhookSettings.fromConfig(chorus.getConfig("webhooks")));
    } catch (com.typesafe.config.ConfigException e) {
      throw new IllegalArgumentException("bad setting: " + e.getMessage(), e);
    }
  }
}
