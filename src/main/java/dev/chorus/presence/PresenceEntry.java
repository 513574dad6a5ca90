package dev.chorus.presence;

import dev.chorus.room.TopicPresence;

/**
 * One join's presence in a topic: the key it is listed under (the user id), the node that owns
 * it (a unique address, so a restarted node's entries differ), its {@code phx_ref}, and its
 * meta, rendered once as the JSON object clients receive ({@code phx_ref}, {@code online_at} and
 * the join's custom meta). Replicated as one string element of a Distributed Data set.
 */
public record PresenceEntry(String node, String ref, String key, String metaJson) implements TopicPresence.Entry {

  /**
   * The replicated form: node, ref, key, meta, one per line. Only the key can hold a line break
   * (or a backslash), so only it is escaped; decoding is a few index lookups, since every node
   * decodes every entry of a topic whenever it changes.
   */
  public String encode() {
    return node + '\n' + ref + '\n' + escape(key) + '\n' + metaJson;
  }

  /** The entry of a replicated element; null for an element this version cannot read. */
  public static PresenceEntry decode(String element) {
    int a = element.indexOf('\n');
    int b = a < 0 ? -1 : element.indexOf('\n', a + 1);
    int c = b < 0 ? -1 : element.indexOf('\n', b + 1);
    if (c < 0) return null;
    return new PresenceEntry(element.substring(0, a), element.substring(a + 1, b),
        unescape(element.substring(b + 1, c)), element.substring(c + 1));
  }

  private static String escape(String key) {
    if (key.indexOf('\\') < 0 && key.indexOf('\n') < 0) return key;
    return key.replace("\\", "\\\\").replace("\n", "\\n");
  }

  private static String unescape(String key) {
    if (key.indexOf('\\') < 0) return key;
    StringBuilder b = new StringBuilder(key.length());
    for (int i = 0; i < key.length(); i++) {
      char ch = key.charAt(i);
      if (ch == '\\' && i + 1 < key.length()) {
        char next = key.charAt(++i);
        b.append(next == 'n' ? '\n' : next);
      } else {
        b.append(ch);
      }
    }
    return b.toString();
  }
}
