package dev.chorus.transport;

import dev.chorus.protocol.V1JsonCodec;
import io.netty.buffer.ByteBuf;
import org.apache.pekko.util.ByteString;

/**
 * Renders WebSocket text frames that carry a V2 Phoenix frame again for a {@code vsn=1.0.0}
 * connection ({@link V1JsonCodec}). Everything in Chorus is rendered in V2; a V1 connection's
 * {@link OutboundQueue} renders what is offered to it here, and a room renders a broadcast here
 * once for all its V1 members. A V1 message is an object and a V2 one an array, so a frame's
 * first payload byte tells which it is: a frame already in V1, and any other frame (a pong),
 * passes unchanged.
 */
public final class V1Frames {
  private V1Frames() {}

  /**
   * {@code frame} for a V1 connection, taking ownership of it: the same buffer when it needs no
   * rendering, else a new one (and {@code frame} released).
   */
  public static ByteBuf toV1(ByteBuf frame) {
    if (!isV2Text(frame)) return frame;
    try {
      return render(frame);
    } finally {
      frame.release();
    }
  }

  /** A new buffer with the V1 rendering of a V2 text frame; {@code frame} is left as it is. */
  public static ByteBuf render(ByteBuf frame) {
    int offset = payloadOffset(frame);
    byte[] payload = new byte[frame.readableBytes() - offset];
    frame.getBytes(frame.readerIndex() + offset, payload);
    return WebSocketFrames.text(V1JsonCodec.fromV2(ByteString.fromArrayUnsafe(payload)));
  }

  /** A complete text frame whose payload is a JSON array. */
  static boolean isV2Text(ByteBuf frame) {
    int r = frame.readerIndex();
    if (frame.readableBytes() < 3 || (frame.getByte(r) & 0xFF) != (0x80 | WebSocketFrames.OP_TEXT)) return false;
    int offset = payloadOffset(frame);
    return frame.readableBytes() > offset && frame.getByte(r + offset) == '[';
  }

  /** Where a server frame's payload starts: after 2, 4 or 10 bytes of header (never masked). */
  private static int payloadOffset(ByteBuf frame) {
    int len = frame.getByte(frame.readerIndex() + 1) & 0x7F;
    return len == 126 ? 4 : len == 127 ? 10 : 2;
  }
}
