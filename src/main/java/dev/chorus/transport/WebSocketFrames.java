package dev.chorus.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Renders server-to-client WebSocket frames (RFC 6455 §5.2). Server frames are never masked, so
 * one rendered broadcast frame can be written unchanged to every subscriber's socket: this is
 * what lets a room encode a publish once.
 *
 * <p>Two forms: a {@link ByteBuf} (pooled, direct) is what a connection's {@link OutboundQueue}
 * holds and Netty writes; a {@link ByteString} is what travels between nodes and stays in a
 * room's history. {@link #toBuf} turns the second into the first with one copy, once per node.
 */
public final class WebSocketFrames {
  static final int OP_CONTINUATION = 0x0, OP_TEXT = 0x1, OP_BINARY = 0x2;
  static final int OP_CLOSE = 0x8, OP_PING = 0x9, OP_PONG = 0xA;
  private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

  private WebSocketFrames() {}

  /** A complete (FIN) text frame carrying {@code payload}, which must be UTF-8, ready to queue. */
  public static ByteBuf text(ByteString payload) {
    return frame(OP_TEXT, payload);
  }

  /** The same frame as {@link #text}, as bytes to send to other nodes or keep in history. */
  public static ByteString textBytes(ByteString payload) {
    return header(OP_TEXT, payload.size()).concat(payload).compact();
  }

  /** A complete (FIN) binary frame carrying {@code payload}, as bytes to send to other nodes or keep in history. */
  public static ByteString binaryBytes(ByteString payload) {
    return header(OP_BINARY, payload.size()).concat(payload).compact();
  }

  /** Whether a frame rendered by {@link #textBytes} or {@link #binaryBytes} is a binary one. */
  public static boolean isBinary(ByteString frame) {
    return (frame.apply(0) & 0x0F) == OP_BINARY;
  }

  /** A frame rendered by {@link #textBytes} or {@link #binaryBytes}, copied once into a buffer to queue. */
  public static ByteBuf toBuf(ByteString frame) {
    ByteBuf buf = ALLOC.directBuffer(frame.size());
    for (ByteBuffer chunk : frame.getByteBuffers()) buf.writeBytes(chunk);
    return buf;
  }

  /** The payload of a text frame rendered by {@link #textBytes} (for reading history back). */
  public static ByteString textPayload(ByteString frame) {
    return payload(frame);
  }

  /** The payload of a frame rendered by {@link #textBytes} or {@link #binaryBytes}. */
  public static ByteString payload(ByteString frame) {
    int len = frame.apply(1) & 0x7F;
    return frame.drop(len == 126 ? 4 : len == 127 ? 10 : 2);
  }

  public static ByteBuf pong(ByteString payload) {
    return frame(OP_PONG, payload);
  }

  /** A close frame; the reason is cut to fit the 125-byte control frame limit. */
  public static ByteBuf close(CloseReason reason) {
    byte[] text = reason.reason().getBytes(StandardCharsets.UTF_8);
    int len = Math.min(text.length, 123);
    while (len < text.length && (text[len] & 0xC0) == 0x80) len--; // never cut a character
    ByteStringBuilder b = new ByteStringBuilder();
    b.putByte((byte) (reason.code() >> 8));
    b.putByte((byte) reason.code());
    b.putBytes(text, 0, len);
    return frame(OP_CLOSE, b.result());
  }

  private static ByteBuf frame(int opcode, ByteString payload) {
    ByteString header = header(opcode, payload.size());
    ByteBuf buf = ALLOC.directBuffer(header.size() + payload.size());
    for (ByteBuffer chunk : header.getByteBuffers()) buf.writeBytes(chunk);
    for (ByteBuffer chunk : payload.getByteBuffers()) buf.writeBytes(chunk);
    return buf;
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
