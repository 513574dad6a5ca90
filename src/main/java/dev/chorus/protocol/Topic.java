package dev.chorus.protocol;

/** A topic {@code namespace:name}, e.g. {@code room:lobby}. */
public record Topic(String namespace, String name) {

  /** Longest topic accepted, in characters: topics are keys in maps and shard ids. */
  public static final int MAX_LENGTH = 256;

  /** Parses a topic, or returns null when it is not {@code namespace:name} with both parts set. */
  public static Topic parse(String topic) {
    if (topic == null || topic.length() > MAX_LENGTH) return null;
    int colon = topic.indexOf(':');
    if (colon <= 0 || colon == topic.length() - 1) return null;
    return new Topic(topic.substring(0, colon), topic.substring(colon + 1));
  }

  @Override
  public String toString() {
    return namespace + ":" + name;
  }
}
