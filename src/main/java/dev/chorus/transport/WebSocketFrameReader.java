package dev.chorus.transport;

import static dev.chorus.transport.WebSocketFrames.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.ByteToMessageDecoder;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Parses client-to-server WebSocket frames (RFC 6455 §5) from TCP bytes: unmasks them,
 * reassembles fragmented messages and enforces the size bound before buffering a payload.
 * No extensions are negotiated, so reserved bits must be zero. Not thread-safe: one per
 * connection.
 *
 * <p>It reads the socket's buffers in place (headers are scanned where they lie); a payload is
 * copied once, by unmasking it into the array the protocol decoder reads. Bytes of an
 * incomplete frame wait in a cumulation buffer, freed by {@link #release}.
 */
final class WebSocketFrameReader {

  sealed interface Event {}

  record Text(ByteString payload) implements Event {}

  /** A binary message: a Phoenix V2 binary push, or not (the protocol decoder decides). */
  record Binary(ByteString payload) implements Event {}

  record Ping(ByteString payload) implements Event {}

  record Pong() implements Event {}

  /** The client closes; {@code code} is 1005 when it sent none. */
  record Close(int code) implements Event {}

  /** The client broke the protocol or a bound; the connection must close with this reason. */
  record Violation(CloseReason reason) implements Event {}

  private final int maxMessageBytes;
  private final ByteBufAllocator alloc;
  private ByteBuf buffer; // bytes received and not yet parsed; null when there are none
  private ByteStringBuilder fragments; // non-null while a fragmented message is being assembled
  private int fragmentsOpcode;
  private int fragmentsSize;
  private boolean failed; // a violation was reported: the stream is unusable from here on

  WebSocketFrameReader(int maxMessageBytes, ByteBufAllocator alloc) {
    this.maxMessageBytes = maxMessageBytes;
    this.alloc = alloc;
  }

  WebSocketFrameReader(int maxMessageBytes) {
    this(maxMessageBytes, ByteBufAllocator.DEFAULT);
  }

  /** Takes the bytes a socket read brought (and the ownership of the buffer). */
  void feed(ByteBuf bytes) {
    if (failed) { // nothing after a violation is read
      bytes.release();
      return;
    }
    buffer = buffer == null ? bytes : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(alloc, buffer, bytes);
  }

  /** For tests: the same as a socket read of these bytes. */
  void feed(ByteString bytes) {
    feed(Unpooled.wrappedBuffer(bytes.toArray()));
  }

  /** Bytes received but not yet parsed: bounded by one frame header plus one frame. */
  int buffered() {
    return buffer == null ? 0 : buffer.readableBytes();
  }

  /** The connection has ended: frees the bytes of an incomplete frame. */
  void release() {
    if (buffer != null) buffer.release();
    buffer = null;
    fragments = null;
  }

  /** A fragment was consumed; keep reading. Never returned by {@link #poll}. */
  private record Fragment() implements Event {}

  private static final Event FRAGMENT = new Fragment();

  /** The next complete event, or null when more bytes are needed. */
  Event poll() {
    if (failed) return null;
    Event e;
    do e = pollFrame(); while (e == FRAGMENT);
    if (e instanceof Violation) {
      // The offending frame is not consumed; report it once, then read nothing more.
      failed = true;
      release();
    }
    return e;
  }

  private Event pollFrame() {
    int available = buffered();
    if (available < 2) return null;
    int at = buffer.readerIndex();
    int b0 = buffer.getUnsignedByte(at), b1 = buffer.getUnsignedByte(at + 1);
    boolean fin = (b0 & 0x80) != 0;
    int opcode = b0 & 0x0F;
    if ((b0 & 0x70) != 0) return violation("reserved bits set");
    if ((b1 & 0x80) == 0) return violation("client frames must be masked");
    long length = b1 & 0x7F;
    int headerLength = 2;
    if (length == 126) {
      if (available < 4) return null;
      length = buffer.getUnsignedShort(at + 2);
      headerLength = 4;
    } else if (length == 127) {
      if (available < 10) return null;
      length = buffer.getLong(at + 2);
      headerLength = 10;
      if (length < 0) return violation("bad frame length");
    }
    boolean control = opcode >= OP_CLOSE;
    if (control && (!fin || length > 125)) return violation("bad control frame");
    if (!control && length + (fragments == null ? 0 : fragmentsSize) > maxMessageBytes) {
      return new Violation(CloseReason.TOO_BIG);
    }
    headerLength += 4; // masking key
    if (available < headerLength + length) return null;
    ByteString payload = unmask(buffer, at + headerLength - 4, at + headerLength, (int) length);
    buffer.skipBytes(headerLength + (int) length);
    if (!buffer.isReadable()) { // free the socket's buffer as soon as it is read
      buffer.release();
      buffer = null;
    }
    return switch (opcode) {
      case OP_TEXT, OP_BINARY -> {
        if (fragments != null) yield violation("new message before the fragmented one ended");
        if (fin) yield complete(opcode, payload);
        fragments = new ByteStringBuilder();
        fragments.append(payload);
        fragmentsOpcode = opcode;
        fragmentsSize = payload.size();
        yield FRAGMENT;
      }
      case OP_CONTINUATION -> {
        if (fragments == null) yield violation("continuation without a message");
        fragments.append(payload);
        fragmentsSize += payload.size();
        if (!fin) yield FRAGMENT;
        ByteString whole = fragments.result();
        fragments = null;
        yield complete(fragmentsOpcode, whole);
      }
      case OP_PING -> new Ping(payload);
      case OP_PONG -> new Pong();
      case OP_CLOSE -> {
        if (payload.size() == 1) yield violation("bad close frame");
        if (payload.size() == 0) yield new Close(1005);
        int code = ((payload.apply(0) & 0xFF) << 8) | (payload.apply(1) & 0xFF);
        // RFC 6455 §7.4: only these may be sent; 1005, 1006 and 1015 are for reporting only.
        boolean valid = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
        yield valid ? new Close(code) : violation("invalid close code " + code);
      }
      default -> violation("unknown opcode " + opcode);
    };
  }

  private static Event complete(int opcode, ByteString payload) {
    if (opcode != OP_TEXT) return new Binary(payload);
    // RFC 6455 §8.1: a text message that is not UTF-8 fails the connection (1007). Relaying it
    // would make browsers drop their connections.
    return Utf8.isValid(payload) ? new Text(payload) : new Violation(CloseReason.INVALID_UTF8);
  }

  private static Violation violation(String why) {
    return new Violation(CloseReason.protocolError(why));
  }

  private static ByteString unmask(ByteBuf buf, int maskAt, int dataAt, int length) {
    if (length == 0) return ByteString.emptyByteString();
    byte[] mask = new byte[4];
    buf.getBytes(maskAt, mask);
    byte[] data = new byte[length];
    buf.getBytes(dataAt, data);
    for (int i = 0; i < length; i++) data[i] ^= mask[i & 3];
    return ByteString.fromArrayUnsafe(data);
  }
}
