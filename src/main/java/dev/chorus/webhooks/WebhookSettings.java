package dev.chorus.webhooks;

import com.typesafe.config.Config;
import java.net.URI;
import java.time.Duration;

/** {@code chorus.webhooks}; see reference.conf. An empty url turns webhooks off. */
public record WebhookSettings(
    String url,
    String secret,
    int batchSize,
    Duration batchInterval,
    Duration timeout,
    int maxAttempts,
    Duration maxAge,
    Backoff backoff,
    int queueSize,
    Duration userLeftDelay) {

  public boolean enabled() {
    return !url.isEmpty();
  }

  public static WebhookSettings fromConfig(Config webhooks) {
    WebhookSettings s = new WebhookSettings(
        webhooks.getString("url").trim(),
        webhooks.getString("secret"),
        webhooks.getInt("batch-size"),
        webhooks.getDuration("batch-interval"),
        webhooks.getDuration("timeout"),
        webhooks.getInt("max-attempts"),
        webhooks.getDuration("max-age"),
        new Backoff(webhooks.getDuration("backoff-min"), webhooks.getDuration("backoff-max")),
        webhooks.getInt("queue-size"),
        webhooks.getDuration("user-left-delay"));
    if (s.enabled()) {
      URI uri = URI.create(s.url);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
        throw new IllegalArgumentException("chorus.webhooks.url must be an http or https URL: " + s.url);
      }
    }
    if (s.batchSize < 1 || s.maxAttempts < 1 || s.queueSize < 1) {
      throw new IllegalArgumentException("chorus.webhooks: batch-size, max-attempts and queue-size must be at least 1");
    }
    if (s.batchInterval.isNegative() || s.batchInterval.isZero() || s.timeout.isNegative() || s.timeout.isZero()) {
      throw new IllegalArgumentException("chorus.webhooks: batch-interval and timeout must be positive");
    }
    return s;
  }
}
