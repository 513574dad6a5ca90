package dev.chorus.room;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.apache.pekko.util.ByteString;

/**
 * A point in a topic's sequence: the epoch of its room entity (a string, since a JavaScript
 * number cannot hold 64 bits) and the number of the last message. Every broadcast carries the
 * position of its message in the {@code ref} slot as {@code "<epoch>:<seq>"}; the colon keeps
 * it apart from phoenix.js's own refs, which are decimal counters.
 */
public record Position(String epoch, long seq) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public String ref() {
    return epoch + ":" + seq;
  }

  /**
   * The {@code "since"} of a join payload ({@code {"since": {"epoch": "...", "seq": n}}}), or
   * null when there is none.
   *
   * @throws IllegalArgumentException "invalid since" when it is there but malformed
   */
  public static Position since(ByteString joinPayload) {
    JsonNode since;
    try {
      since = JSON.readTree(joinPayload.toArray()).get("since");
    } catch (IOException e) {
      throw new IllegalArgumentException("invalid join payload");
    }
    if (since == null || since.isNull()) return null;
    JsonNode epoch = since.get("epoch"), seq = since.get("seq");
    if (!since.isObject() || epoch == null || !epoch.isTextual() || epoch.asText().isEmpty()
        || seq == null || !seq.canConvertToLong() || seq.asLong() < 0) {
      throw new IllegalArgumentException("invalid since");
    }
    return new Position(epoch.asText(), seq.asLong());
  }
}
