package dev.chorus.room;

import com.typesafe.config.Config;
import dev.chorus.webhooks.WebhookEvents;
import dev.chorus.hooks.NamespaceHooks;
import java.time.Duration;

/** The options of one topic namespace; see {@code chorus.namespace-defaults} in reference.conf. */
public record Namespace(
    String name,
    boolean clientPublish,
    int maxMessageBytes,
    int maxEventBytes,
    int maxMembers,
    double publishRate,
    int publishBurst,
    Duration floodDuration,
    Duration floodPause,
    int historySize,
    Duration historyTtl,
    long historyMaxBytes,
    boolean presence,
    int presenceListLimit,
    boolean userLimited,
    int userLimitedMaxUsers,
    boolean joinTokenRequired,
    WebhookEvents webhooks,

    NamespaceHooks hooks) {

  /** {@code webhooks}: whether chorus.webhooks is on (a url), else the namespace sends no webhook events. */
  static Namespace fromConfig(String name, Config c, boolean webhooks) {
    return new Namespace(
        name,
        c.getBoolean("client-publish"),
        (int) c.getBytes("max-message-bytes").longValue(),
        (int) c.getBytes("max-event-bytes").longValue(),
        c.getInt("max-members"),
        c.getDouble("publish-rate"),
        c.getInt("publish-burst"),
        c.getDuration("flood-duration"),
        c.getDuration("flood-pause"),
        c.getInt("history-size"),
        c.getDuration("history-ttl"),
        c.getBytes("history-max-bytes"),
        c.getBoolean("presence"),
        c.getInt("presence-list-limit"),
        c.getBoolean("user-limited"),
        c.getInt("user-limited-max-users"),
        joinToken(name, c.getString("join-token")),
        WebhookEvents.fromConfig(c.getConfig("webhooks"), webhooks),
        NamespaceHooks.fromConfig(c.getConfig("hooks")));
  }

  private static boolean joinToken(String name, String value) {
    return switch (value) {
      case "required" -> true;
      case "off", "false", "no" -> false;
      default -> throw new IllegalArgumentException(
          "chorus.namespaces." + name + ".join-token must be off or required, not " + value);
    };
  }
}
