package dev.chorus.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.IOException;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Phoenix's V1 JSON serializer ({@code vsn=1.0.0}, {@link Vsn#V1}): a message is the object
 * {@code {"topic": .., "event": .., "payload": {..}, "ref": ..}}, with an optional
 * {@code "join_ref"} from the client and never one to it; a reply is {@code {"topic", "event":
 * "phx_reply", "payload": {"status", "response"}, "ref"}}. As Phoenix's
 * {@code Phoenix.Socket.V1.JSONSerializer}: the four keys are required ({@code ref} may be
 * null), in any order, other keys are ignored. Decoding yields the same {@link Frame} as V2,
 * the payload a slice of the input; a join without a join_ref is given its ref as join_ref, as
 * phoenix.js does in V2, so its pushes (join_ref null) and leave match it. Pure, thread-safe.
 */
public final class V1JsonCodec {
  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(FrameCodec.MAX_DEPTH).build())
      .build();
  private static final byte[] TOPIC = "{\"topic\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] EVENT = ",\"event\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] PAYLOAD = ",\"payload\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] REF = ",\"ref\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private V1JsonCodec() {}

  /** Decodes one V1 text message; {@link ProtocolException} with a reason (and the ref, when read) for a bad one. */
  public static Frame decode(ByteString message) throws ProtocolException {
    byte[] bytes = message.toArrayUnsafe();
    String topic = null, event = null, ref = null, joinRef = null;
    boolean hasTopic = false, hasEvent = false, hasRef = false;
    String problem = null; // the first shape problem, reported once the ref is known
    int start = -1, end = -1;
    try (JsonParser p = JSON.createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) throw new ProtocolException("bad frame: expected a JSON object", null, null, null);
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        JsonToken v = p.nextToken();
        switch (key) {
          case "topic" -> {
            hasTopic = true;
            if (v == JsonToken.VALUE_STRING) topic = checked(p.getText(), "topic");
            else if (problem == null) problem = "bad frame: topic must be a string";
          }
          case "event" -> {
            hasEvent = true;
            if (v == JsonToken.VALUE_STRING) event = checked(p.getText(), "event");
            else if (problem == null) problem = "bad frame: event must be a string";
          }
          case "ref" -> {
            hasRef = true;
            if (v == JsonToken.VALUE_STRING) ref = checked(p.getText(), "ref");
            else if (v != JsonToken.VALUE_NULL && problem == null) problem = "bad frame: ref must be a string or null";
          }
          case "join_ref" -> {
            if (v == JsonToken.VALUE_STRING) joinRef = checked(p.getText(), "join_ref");
            else if (v != JsonToken.VALUE_NULL && problem == null) problem = "bad frame: join_ref must be a string or null";
          }
          case "payload" -> {
            if (v == JsonToken.START_OBJECT) {
              start = (int) p.currentTokenLocation().getByteOffset();
              p.skipChildren();
              end = (int) p.currentLocation().getByteOffset();
            } else {
              start = -2;
              p.skipChildren();
            }
          }
          default -> p.skipChildren();
        }
        if (!"payload".equals(key)) p.skipChildren(); // a value of the wrong shape may be an object or array
      }
      if (t != JsonToken.END_OBJECT) throw new ProtocolException("bad frame: not valid JSON", joinRef, ref, topic);
      if (p.nextToken() != null) throw new ProtocolException("bad frame: trailing data after the object", joinRef, ref, topic);
    } catch (IOException e) {
      throw new ProtocolException("bad frame: not valid JSON", joinRef, ref, topic);
    } catch (Surrogate s) {
      throw new ProtocolException("bad frame: " + s.getMessage() + " has an unpaired surrogate", joinRef, ref, topic);
    }
    if (!hasRef) throw new ProtocolException("bad frame: missing key ref", joinRef, null, topic);
    if (problem != null) throw new ProtocolException(problem, joinRef, ref, topic);
    if (!hasTopic) throw new ProtocolException("bad frame: missing key topic", joinRef, ref, null);
    if (!hasEvent) throw new ProtocolException("bad frame: missing key event", joinRef, ref, topic);
    if (start == -1) throw new ProtocolException("bad frame: missing key payload", joinRef, ref, topic);
    if (start == -2) throw new ProtocolException("bad frame: payload must be an object", joinRef, ref, topic);
    if (start < 0 || end <= start) throw new ProtocolException("bad frame: not valid JSON", joinRef, ref, topic); // UTF-16/32 guessed
    if (joinRef == null && Events.JOIN.equals(event)) joinRef = ref;
    return new Frame(joinRef, ref, topic, event, message.slice(start, end));
  }

  /** An unpaired surrogate in a string (an escaped one such as \ud800): it cannot be encoded back. */
  private static final class Surrogate extends RuntimeException {
    Surrogate(String what) {
      super(what, null, false, false);
    }
  }

  private static String checked(String s, String what) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) i++;
      else if (Character.isSurrogate(c)) throw new Surrogate(what);
    }
    return s;
  }

  /** {@code {"topic":topic,"event":event,"payload":payload,"ref":ref}}; {@code payload} must be the bytes of a JSON object. */
  public static ByteString encode(String ref, String topic, String event, ByteString payload) {
    ByteStringBuilder b = new ByteStringBuilder();
    b.putBytes(TOPIC);
    putString(b, topic);
    b.putBytes(EVENT);
    putString(b, event);
    b.putBytes(PAYLOAD);
    b.append(payload);
    b.putBytes(REF);
    putString(b, ref);
    b.putByte((byte) '}');
    return b.result();
  }

  /**
   * A frame Chorus rendered in V2, rendered in V1: its join_ref dropped, the rest as it is
   * (a broadcast keeps its position {@code "<epoch>:<seq>"} as its ref; a reply's payload is
   * already {@code {"status", "response"}}).
   *
   * @throws IllegalArgumentException when {@code v2} is not a V2 frame (Chorus renders none such)
   */
  public static ByteString fromV2(ByteString v2) {
    try {
      Frame f = FrameCodec.decode(v2);
      return encode(f.ref(), f.topic(), f.event(), f.payload());
    } catch (ProtocolException e) {
      throw new IllegalArgumentException("not a V2 frame: " + e.reason(), e);
    }
  }

  private static void putString(ByteStringBuilder b, String s) {
    if (s == null) {
      b.putBytes(new byte[] {'n', 'u', 'l', 'l'});
      return;
    }
    b.putByte((byte) '"');
    b.putBytes(JsonStringEncoder.getInstance().quoteAsUTF8(s));
    b.putByte((byte) '"');
  }
}
