package dev.chorus.session;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Renders server-to-client WebSocket frames (RFC 6455 §5.2). Server frames are never masked, so
 * one rendered broadcast frame can be written unchanged to every subscriber's socket: this is
 * what lets a room encode a publish once.
 */
public final class WebSocketFrames {
  static final int OP_CONTINUATION = 0x0, OP_TEXT = 0x1, OP_BINARY = 0x2;
  static final int OP_CLOSE = 0x8, OP_PING = 0x9, OP_PONG = 0xA;

  private WebSocketFrames() {}

  /** A complete (FIN) text frame carrying {@code payload}, which must be UTF-8. */
  public static ByteString text(ByteString payload) {
    return header(OP_TEXT, payload.size()).concat(payload);
  }

  /** The payload of a text frame rendered by {@link #text} (for reading history back). */
  public static ByteString textPayload(ByteString frame) {
    int len = frame.apply(1) & 0x7F;
    return frame.drop(len == 126 ? 4 : len == 127 ? 10 : 2);
  }

  public static ByteString pong(ByteString payload) {
    return header(OP_PONG, payload.size()).concat(payload);
  }

  /** A close frame; the reason is cut to fit the 125-byte control frame limit. */
  public static ByteString close(CloseReason reason) {
    byte[] text = reason.reason().getBytes(StandardCharsets.UTF_8);
    int len = Math.min(text.length, 123);
    while (len < text.length && (text[len] & 0xC0) == 0x80) len--; // never cut a character
    ByteStringBuilder b = new ByteStringBuilder();
    b.putByte((byte) (reason.code() >> 8));
    b.putByte((byte) reason.code());
    b.putBytes(text, 0, len);
    ByteString payload = b.result();
    return header(OP_CLOSE, payload.size()).concat(payload);
  }

  private static ByteString header(int opcode, int length) {
    byte first = (byte) (0x80 | opcode);
    if (length < 126) return ByteString.fromArrayUnsafe(new byte[] {first, (byte) length});
    if (length < 65536) {
      return ByteString.fromArrayUnsafe(new byte[] {first, 126, (byte) (length >> 8), (byte) length});
    }
    byte[] h = new byte[10];
    h[0] = first;
    h[1] = 127;
    for (int i = 0; i < 8; i++) h[9 - i] = (byte) (((long) length) >>> (8 * i));
    return ByteString.fromArrayUnsafe(h);
  }
}
