package dev.chorus.presence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One join's presence in a topic: the key it is listed under (the user id), the node that owns
 * it (a unique address, so a restarted node's entries differ), its {@code phx_ref}, and its
 * meta, rendered once as the JSON object clients receive ({@code phx_ref}, {@code online_at} and
 * the join's custom meta). Replicated as one string element of a Distributed Data set.
 */
public record PresenceEntry(String node, String ref, String key, String metaJson) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The replicated form: node, ref, key (as a JSON string, so it holds no line break), meta. */
  public String encode() {
    try {
      return node + '\n' + ref + '\n' + JSON.writeValueAsString(key) + '\n' + metaJson;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a string always renders", e);
    }
  }

  /** The entry of a replicated element; null for an element this version cannot read. */
  public static PresenceEntry decode(String element) {
    String[] parts = element.split("\n", 4);
    if (parts.length != 4) return null;
    try {
      return new PresenceEntry(parts[0], parts[1], JSON.readValue(parts[2], String.class), parts[3]);
    } catch (JsonProcessingException e) {
      return null;
    }
  }
}
