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
 * Reads and writes Phoenix v2 JSON frames. Pure code, no actors, thread-safe.
 *
 * <p>Decoding streams over the array with Jackson's parser and keeps the payload as a slice of
 * the input bytes, so a push is validated once and never re-serialized on its way to the
 * subscribers.
 */
public final class FrameCodec {
  /**
   * The deepest JSON nesting read from clients and backends: the frame's array is level 1 and
   * its payload level 2 (the API for backends applies it to its bodies, where the payload is
   * level 2 as well).
   */
  public static final int MAX_DEPTH = 64;
  private static final JsonFactory JSON =
      JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
          .build();
  private static final ByteString NULL = ByteString.fromString("null");
  private static final ByteString EMPTY_OBJECT = ByteString.fromString("{}");

  private FrameCodec() {}

  /** Decodes one text message. Throws {@link ProtocolException} with a reason for any bad shape. */
  public static Frame decode(ByteString message) throws ProtocolException {
    byte[] bytes = message.toArrayUnsafe();
    String joinRef = null, ref = null, topic = null, event = null;
    try (JsonParser p = JSON.createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_ARRAY) {
        throw new ProtocolException("bad frame: expected a JSON array", null, null, null);
      }
      joinRef = readNullableString(p, "join_ref", null, null, null);
      ref = readNullableString(p, "ref", joinRef, null, null);
      topic = readString(p, "topic", joinRef, ref);
      event = readString(p, "event", joinRef, ref, topic);
      JsonToken t = p.nextToken();
      if (t != JsonToken.START_OBJECT) {
        throw new ProtocolException(
            t == JsonToken.END_ARRAY ? "bad frame: expected 5 elements" : "bad frame: payload must be an object",
            joinRef, ref, topic);
      }
      int start = (int) p.currentTokenLocation().getByteOffset();
      p.skipChildren();
      int end = (int) p.currentLocation().getByteOffset();
      if (start < 0 || end <= start) {
        // Jackson guessed a UTF-16/32 encoding and counts characters, not bytes.
        throw new ProtocolException("bad frame: not valid JSON", joinRef, ref, topic);
      }
      if (p.nextToken() != JsonToken.END_ARRAY) {
        throw new ProtocolException("bad frame: expected 5 elements", joinRef, ref, topic);
      }
      if (p.nextToken() != null) {
        throw new ProtocolException("bad frame: trailing data after the array", joinRef, ref, topic);
      }
      return new Frame(joinRef, ref, topic, event, message.slice(start, end));
    } catch (IOException e) {
      throw new ProtocolException("bad frame: not valid JSON", joinRef, ref, topic);
    }
  }

  private static String readNullableString(JsonParser p, String what, String joinRef, String ref, String topic)
      throws IOException, ProtocolException {
    JsonToken t = p.nextToken();
    if (t == JsonToken.VALUE_NULL) return null;
    if (t == JsonToken.VALUE_STRING) return checked(p.getText(), what, joinRef, ref, topic);
    throw new ProtocolException(shapeError(t, what, "a string or null"), joinRef, ref, topic);
  }

  private static String readString(JsonParser p, String what, String joinRef, String ref)
      throws IOException, ProtocolException {
    return readString(p, what, joinRef, ref, null);
  }

  private static String readString(JsonParser p, String what, String joinRef, String ref, String topic)
      throws IOException, ProtocolException {
    JsonToken t = p.nextToken();
    if (t == JsonToken.VALUE_STRING) return checked(p.getText(), what, joinRef, ref, topic);
    throw new ProtocolException(shapeError(t, what, "a string"), joinRef, ref, topic);
  }

  /** Refuses strings with an unpaired surrogate (an escaped one such as \ud800): they cannot be encoded back. */
  private static String checked(String s, String what, String joinRef, String ref, String topic)
      throws ProtocolException {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new ProtocolException("bad frame: " + what + " has an unpaired surrogate", joinRef, ref, topic);
      }
    }
    return s;
  }

  private static String shapeError(JsonToken t, String what, String expected) {
    return t == JsonToken.END_ARRAY
        ? "bad frame: expected 5 elements"
        : "bad frame: " + what + " must be " + expected;
  }

  /** Encodes a frame; {@code payload} must be the bytes of a JSON object. */
  public static ByteString encode(String joinRef, String ref, String topic, String event, ByteString payload) {
    ByteStringBuilder b = new ByteStringBuilder();
    b.putByte((byte) '[');
    putNullableString(b, joinRef);
    b.putByte((byte) ',');
    putNullableString(b, ref);
    b.putByte((byte) ',');
    putNullableString(b, topic);
    b.putByte((byte) ',');
    putNullableString(b, event);
    b.putByte((byte) ',');
    b.append(payload);
    b.putByte((byte) ']');
    return b.result();
  }

  /**
   * The size in bytes of {@link #encode} of these fields, computed without rendering: how big a
   * client's push is as a whole frame (refs, topic, event and payload), which is what the
   * namespace's max-message-bytes bounds and what a held push costs.
   */
  public static int renderedSize(String joinRef, String ref, String topic, String event, ByteString payload) {
    // '[' + four strings or nulls + four ',' + payload + ']'
    return 6 + jsonStringSize(joinRef) + jsonStringSize(ref) + jsonStringSize(topic) + jsonStringSize(event) + payload.size();
  }

  /**
   * {@link #renderedSize} of a decoded frame: how many bytes it stands for as Chorus renders it
   * (a binary push: as the binary message it is, {@link BinaryCodec#pushSize}).
   */
  public static int renderedSize(Frame f) {
    if (f.binary()) return BinaryCodec.pushSize(f.joinRef(), f.ref(), f.topic(), f.event(), f.payload());
    return renderedSize(f.joinRef(), f.ref(), f.topic(), f.event(), f.payload());
  }

  /**
   * Bytes of {@code s} as a JSON string in a frame, quotes included ({@code null}: 4), escaped
   * as {@link #encode} does (Jackson's {@link JsonStringEncoder}: a quote or backslash takes 2
   * bytes, so do the control characters with a short escape (b, t, n, f, r), the other control
   * characters take the 6 of a u-escape, and everything else its UTF-8 bytes).
   */
  static int jsonStringSize(String s) {
    if (s == null) return 4;
    int n = 2;
    for (int i = 0, len = s.length(); i < len; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        if (c == '"' || c == '\\' || c == '\b' || c == '\t' || c == '\n' || c == '\f' || c == '\r') n += 2;
        else if (c < 0x20) n += 6;
        else n += 1;
      } else {
        n += utf8Size(s, i, c);
        if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) i++;
      }
    }
    return n;
  }

  /** Bytes of {@code s} in UTF-8 (an unpaired surrogate counts as the 3 bytes of its replacement). */
  public static int utf8Length(String s) {
    int n = 0;
    for (int i = 0, len = s.length(); i < len; i++) {
      char c = s.charAt(i);
      n += utf8Size(s, i, c);
      if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) i++;
    }
    return n;
  }

  private static int utf8Size(String s, int i, char c) {
    if (c < 0x80) return 1;
    if (c < 0x800) return 2;
    if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) return 4;
    return 3;
  }

  /** {@code [join_ref, ref, topic, "phx_reply", {"status":"ok","response":response}]}. */
  public static ByteString replyOk(String joinRef, String ref, String topic, ByteString response) {
    return encode(joinRef, ref, topic, Events.REPLY, replyPayload("ok", response));
  }

  public static ByteString replyOk(String joinRef, String ref, String topic) {
    return replyOk(joinRef, ref, topic, EMPTY_OBJECT);
  }

  /** {@code [join_ref, ref, topic, "phx_reply", {"status":"error","response":{"reason":reason}}]}. */
  public static ByteString replyError(String joinRef, String ref, String topic, String reason) {
    ByteStringBuilder r = new ByteStringBuilder();
    r.putBytes("{\"reason\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    putNullableString(r, reason);
    r.putByte((byte) '}');
    return encode(joinRef, ref, topic, Events.REPLY, replyPayload("error", r.result()));
  }

  /** {@code [join_ref, join_ref, topic, event, {}]}: phx_close and phx_error name the join they end. */
  public static ByteString joinEvent(String joinRef, String topic, String event) {
    return encode(joinRef, joinRef, topic, event, EMPTY_OBJECT);
  }

  private static ByteString replyPayload(String status, ByteString response) {
    return ByteString.fromString("{\"status\":\"" + status + "\",\"response\":")
        .concat(response)
        .concat(ByteString.fromString("}"));
  }

  private static void putNullableString(ByteStringBuilder b, String s) {
    if (s == null) {
      b.append(NULL);
      return;
    }
    b.putByte((byte) '"');
    b.putBytes(JsonStringEncoder.getInstance().quoteAsUTF8(s));
    b.putByte((byte) '"');
  }
}
