package dev.chorus.room;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A point in a topic's sequence: the epoch of its room entity (a string, since a JavaScript
 * number cannot hold 64 bits) and the number of the last message. Every broadcast carries the
 * position of its message in the {@code ref} slot as {@code "<epoch>:<seq>"}; the colon keeps
 * it apart from phoenix.js's own refs, which are decimal counters.
 */
public record Position(String epoch, long seq) {
  public String ref() {
    return epoch + ":" + seq;
  }

  /**
   * The {@code "since"} of a join payload ({@code {"since": {"epoch": "...", "seq": n}}}), or
   * null when there is none.
   *
   * @throws IllegalArgumentException "invalid since" when it is there but malformed
   */
  public static Position since(JsonNode joinPayload) {
    JsonNode since = joinPayload.get("since");
    if (since == null || since.isNull()) return null;
    JsonNode epoch = since.get("epoch"), seq = since.get("seq");
    if (!since.isObject() || epoch == null || !epoch.isTextual() || epoch.asText().isEmpty()
        || seq == null || !seq.canConvertToLong() || seq.asLong() < 0) {
      throw new IllegalArgumentException("invalid since");
    }
    return new Position(epoch.asText(), seq.asLong());
  }
}
