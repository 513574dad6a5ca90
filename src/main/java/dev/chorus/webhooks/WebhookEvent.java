package dev.chorus.webhooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.UUID;

/**
 * One webhook event. {@code id} is unique and stays the same across retries (a UUID), so the
 * backend can drop a batch it has seen; {@code ts} is when it happened (epoch ms). {@code user}
 * for user and client events, {@code event}, {@code payload} and {@code seq} for client events.
 */
public record WebhookEvent(String id, String name, String topic, long ts, String user, String event, JsonNode payload, Long seq) {

  public static WebhookEvent topic(String name, String topic) {
    return new WebhookEvent(UUID.randomUUID().toString(), name, topic, System.currentTimeMillis(), null, null, null, null);
  }

  public static WebhookEvent user(String name, String topic, String user) {
    return new WebhookEvent(UUID.randomUUID().toString(), name, topic, System.currentTimeMillis(), user, null, null, null);
  }

  public static WebhookEvent client(String topic, String user, String event, JsonNode payload, long seq) {
    return new WebhookEvent(UUID.randomUUID().toString(), WebhookEvents.CLIENT_EVENT, topic, System.currentTimeMillis(),
        user, event, payload, seq);
  }

  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("id", id);
    o.put("name", name);
    o.put("topic", topic);
    o.put("ts", ts);
    if (user != null) o.put("user", user);
    if (event != null) o.put("event", event);
    if (payload != null) o.set("payload", payload);
    if (seq != null) o.put("seq", seq);
    return o;
  }
}
