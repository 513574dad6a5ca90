package dev.chorus.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Reads and writes the binary messages of Phoenix's V2 serializer (phoenix.js
 * {@code serializer.js}), which carry an {@code ArrayBuffer} payload as raw bytes in a binary
 * WebSocket frame. Pure code, no actors, thread-safe. Every length is one byte, so each string
 * field is at most 255 bytes of UTF-8:
 *
 * <pre>
 * push (client → server):  0 | len(join_ref) len(ref) len(topic) len(event) | join_ref ref topic event | payload
 * reply (server → client): 1 | len(join_ref) len(ref) len(topic) len(status) | join_ref ref topic status | response
 * broadcast (server → client): 2 | len(topic) len(event) | topic event | payload
 * </pre>
 *
 * A binary message has no null: phoenix.js writes a missing ref as an empty string, and so an
 * empty {@code join_ref} or {@code ref} is read as null (no reply; any join of the topic).
 */
public final class BinaryCodec {
  public static final int PUSH = 0, REPLY = 1, BROADCAST = 2;
  /** Bytes before the fields of a push or a reply: the kind and four lengths. */
  static final int PUSH_HEADER = 5;
  /** Bytes before the fields of a broadcast: the kind and two lengths. */
  static final int BROADCAST_HEADER = 3;
  /** The longest field a one-byte length can announce. */
  public static final int MAX_FIELD_BYTES = 255;

  private BinaryCodec() {}

  /**
   * Decodes a client's binary message, which must be a push. The fields are read in order, as
   * {@link FrameCodec#decode} reads a JSON frame's, so a problem after a readable {@code ref}
   * names it (the client gets an error reply) and one before it does not (the connection closes).
   */
  public static Frame decodePush(ByteString message) throws ProtocolException {
    if (message.isEmpty()) throw new ProtocolException("bad frame: empty binary message", null, null, null);
    int kind = message.apply(0) & 0xFF;
    if (kind != PUSH) {
      throw new ProtocolException(kind == REPLY || kind == BROADCAST
          ? "bad frame: a client may only push (binary kind 0), got kind " + kind
          : "bad frame: unknown binary kind " + kind, null, null, null);
    }
    if (message.size() < PUSH_HEADER) throw new ProtocolException("bad frame: binary header too short", null, null, null);
    Reader r = new Reader(message, PUSH_HEADER);
    String joinRef = emptyToNull(r.field(message.apply(1), "join_ref", null, null, null));
    String ref = emptyToNull(r.field(message.apply(2), "ref", joinRef, null, null));
    String topic = r.field(message.apply(3), "topic", joinRef, ref, null);
    String event = r.field(message.apply(4), "event", joinRef, ref, topic);
    return new Frame(joinRef, ref, topic, event, message.drop(r.at), true);
  }

  /** A broadcast of {@code payload}: what every member of the topic receives, rendered once. */
  public static ByteString encodeBroadcast(String topic, String event, ByteString payload) {
    byte[] t = field(topic, "topic"), e = field(event, "event");
    ByteStringBuilder b = new ByteStringBuilder();
    b.putByte((byte) BROADCAST).putByte((byte) t.length).putByte((byte) e.length);
    b.putBytes(t).putBytes(e).append(payload);
    return b.result();
  }

  /** A reply whose response is {@code response}'s bytes; phoenix.js reads it as {status, response: ArrayBuffer}. */
  public static ByteString encodeReply(String joinRef, String ref, String topic, String status, ByteString response) {
    byte[] j = field(joinRef, "join_ref"), r = field(ref, "ref"), t = field(topic, "topic"), s = field(status, "status");
    ByteStringBuilder b = new ByteStringBuilder();
    b.putByte((byte) REPLY).putByte((byte) j.length).putByte((byte) r.length).putByte((byte) t.length).putByte((byte) s.length);
    b.putBytes(j).putBytes(r).putBytes(t).putBytes(s).append(response);
    return b.result();
  }

  /** A broadcast read back (history for backends): its topic, event and payload. */
  public record Broadcast(String topic, String event, ByteString payload) {}

  /** Reads a message rendered by {@link #encodeBroadcast}. */
  public static Broadcast decodeBroadcast(ByteString message) throws ProtocolException {
    if (message.size() < BROADCAST_HEADER || (message.apply(0) & 0xFF) != BROADCAST) {
      throw new ProtocolException("bad frame: not a binary broadcast", null, null, null);
    }
    Reader r = new Reader(message, BROADCAST_HEADER);
    String topic = r.field(message.apply(1), "topic", null, null, null);
    String event = r.field(message.apply(2), "event", null, null, topic);
    return new Broadcast(topic, event, message.drop(r.at));
  }

  /**
   * The size in bytes of a binary push of these fields, header included: what the namespace's
   * max-message-bytes bounds, as {@link FrameCodec#renderedSize} does for a JSON push. A
   * backend's publish (no refs) counts the same way with null refs.
   */
  public static int pushSize(String joinRef, String ref, String topic, String event, ByteString payload) {
    return PUSH_HEADER + utf8(joinRef) + utf8(ref) + utf8(topic) + utf8(event) + payload.size();
  }

  private static int utf8(String s) {
    return s == null ? 0 : FrameCodec.utf8Length(s);
  }

  private static byte[] field(String s, String what) {
    byte[] b = s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
    if (b.length > MAX_FIELD_BYTES) {
      throw new IllegalArgumentException(what + " longer than " + MAX_FIELD_BYTES + " bytes cannot be sent in a binary message");
    }
    return b;
  }

  private static String emptyToNull(String s) {
    return s.isEmpty() ? null : s;
  }

  /** Reads the string fields one after the other. */
  private static final class Reader {
    private final ByteString message;
    int at;

    Reader(ByteString message, int at) {
      this.message = message;
      this.at = at;
    }

    String field(byte lengthByte, String what, String joinRef, String ref, String topic) throws ProtocolException {
      int length = lengthByte & 0xFF;
      if (at + length > message.size()) {
        throw new ProtocolException("bad frame: binary " + what + " runs past the end of the message", joinRef, ref, topic);
      }
      ByteString bytes = message.slice(at, at + length);
      at += length;
      try {
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes.toArray()))
            .toString();
      } catch (CharacterCodingException e) {
        throw new ProtocolException("bad frame: binary " + what + " is not valid UTF-8", joinRef, ref, topic);
      }
    }
  }
}
