package dev.chorus.room;

import com.typesafe.config.Config;
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
    NamespaceHooks hooks) {

  static Namespace fromConfig(String name, Config c) {
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
        NamespaceHooks.fromConfig(c.getConfig("hooks")));
  }
}
