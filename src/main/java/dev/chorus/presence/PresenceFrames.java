package dev.chorus.presence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.util.ByteString;

/**
 * The payloads phoenix.js's {@code Presence} reads: {@code presence_state}
 * {@code {key: {"metas": [meta, ...]}}}, {@code presence_diff}
 * {@code {"joins": {...}, "leaves": {...}}}, and Chorus's {@code presence_count}
 * {@code {"users": n, "connections": m}} for rooms too big to list.
 */
public final class PresenceFrames {
  public static final String STATE = "presence_state";
  public static final String DIFF = "presence_diff";
  public static final String COUNT = "presence_count";
  private static final ObjectMapper JSON = new ObjectMapper();

  private PresenceFrames() {}

  public static ByteString state(Collection<PresenceEntry> entries) {
    StringBuilder b = new StringBuilder(64 + entries.size() * 96);
    appendByKey(b, entries);
    return ByteString.fromString(b.toString(), StandardCharsets.UTF_8);
  }

  public static ByteString diff(PresenceDiff diff) {
    StringBuilder b = new StringBuilder(64 + (diff.joins().size() + diff.leaves().size()) * 96);
    b.append("{\"joins\":");
    appendByKey(b, diff.joins());
    b.append(",\"leaves\":");
    appendByKey(b, diff.leaves());
    b.append('}');
    return ByteString.fromString(b.toString(), StandardCharsets.UTF_8);
  }

  /** A rendered state with one more key, holding {@code entry} alone (the key must be new). */
  public static ByteString withKey(ByteString state, PresenceEntry entry) {
    StringBuilder b = new StringBuilder(64 + entry.metaJson().length());
    if (state.size() > 2) b.append(',');
    b.append(quote(entry.key())).append(":{\"metas\":[").append(entry.metaJson()).append("]}}");
    return state.take(state.size() - 1).concat(ByteString.fromString(b.toString(), StandardCharsets.UTF_8));
  }

  public static ByteString count(int users, int connections) {
    return ByteString.fromString("{\"users\":" + users + ",\"connections\":" + connections + "}");
  }

  /** Distinct keys (users) among the entries. */
  public static int users(Collection<PresenceEntry> entries) {
    HashSet<String> keys = new HashSet<>();
    for (PresenceEntry e : entries) keys.add(e.key());
    return keys.size();
  }

  /** {key: {"metas": [...]}}, keys in first-seen order, each key's metas in the entries' order. */
  private static void appendByKey(StringBuilder b, Collection<PresenceEntry> entries) {
    Map<String, List<String>> byKey = new LinkedHashMap<>();
    for (PresenceEntry e : entries) byKey.computeIfAbsent(e.key(), k -> new ArrayList<>()).add(e.metaJson());
    b.append('{');
    boolean first = true;
    for (var e : byKey.entrySet()) {
      if (!first) b.append(',');
      first = false;
      b.append(quote(e.getKey())).append(":{\"metas\":[").append(String.join(",", e.getValue())).append("]}");
    }
    b.append('}');
  }

  private static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a string always renders", e);
    }
  }
}
