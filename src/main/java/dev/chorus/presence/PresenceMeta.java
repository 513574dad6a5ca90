package dev.chorus.presence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A join's presence meta: {@code phx_ref} (unique per join), {@code online_at} (epoch
 * milliseconds) and the custom fields the client sent as {@code "meta"} in its join payload,
 * e.g. {@code channel.join({meta: {status: "away"}})}, bounded by
 * {@code chorus.presence.max-meta-bytes} in bytes of UTF-8 JSON, as it is stored, replicated and
 * sent (a character may take up to four).
 */
public final class PresenceMeta {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PresenceMeta() {}

  /**
   * The custom meta of a join payload (an empty object when there is none).
   *
   * @throws IllegalArgumentException with the reason the join is refused: not an object, too big
   */
  public static ObjectNode custom(JsonNode joinPayload, int maxBytes) {
    JsonNode meta = joinPayload.get("meta");
    if (meta == null || meta.isNull()) return JSON.createObjectNode();
    if (!meta.isObject()) throw new IllegalArgumentException("presence meta must be an object");
    ObjectNode custom = ((ObjectNode) meta).deepCopy();
    custom.remove("phx_ref");
    custom.remove("online_at");
    if (custom.toString().getBytes(StandardCharsets.UTF_8).length > maxBytes) {
      throw new IllegalArgumentException("presence meta too large");
    }
    return custom;
  }

  /** A fresh {@code phx_ref}: 72 random bits. */
  public static String newRef() {
    byte[] b = new byte[9];
    ThreadLocalRandom.current().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** The meta object clients see, rendered once. */
  public static String render(String ref, long onlineAtMillis, ObjectNode custom) {
    ObjectNode meta = JSON.createObjectNode();
    meta.put("phx_ref", ref);
    meta.put("online_at", onlineAtMillis);
    meta.setAll(custom);
    return meta.toString();
  }
}
