package dev.chorus.session;

import static dev.chorus.session.WebSocketFrames.*;

import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Parses client-to-server WebSocket frames (RFC 6455 §5) from TCP bytes: unmasks them,
 * reassembles fragmented messages and enforces the size bound before buffering a payload.
 * No extensions are negotiated, so reserved bits must be zero. Not thread-safe: one per
 * connection.
 */
final class WebSocketFrameReader {

  sealed interface Event {}

  record Text(ByteString payload) implements Event {}

  record Binary() implements Event {}

  record Ping(ByteString payload) implements Event {}

  record Pong() implements Event {}

  /** The client closes; {@code code} is 1005 when it sent none. */
  record Close(int code) implements Event {}

  /** The client broke the protocol or a bound; the connection must close with this reason. */
  record Violation(CloseReason reason) implements Event {}

  private final int maxMessageBytes;
  private ByteString buffer = ByteString.emptyByteString();
  private ByteStringBuilder fragments; // non-null while a fragmented message is being assembled
  private int fragmentsOpcode;
  private int fragmentsSize;
  private boolean failed; // a violation was reported: the stream is unusable from here on

  WebSocketFrameReader(int maxMessageBytes) {
    this.maxMessageBytes = maxMessageBytes;
  }

  void feed(ByteString bytes) {
    if (failed) return; // nothing after a violation is read
    buffer = buffer.isEmpty() ? bytes : buffer.concat(bytes);
  }

  /** Bytes received but not yet parsed: bounded by one frame header plus one frame. */
  int buffered() {
    return buffer.size();
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
      buffer = ByteString.emptyByteString();
      fragments = null;
    }
    return e;
  }

  private Event pollFrame() {
    if (buffer.size() < 2) return null;
    int b0 = buffer.apply(0) & 0xFF, b1 = buffer.apply(1) & 0xFF;
    boolean fin = (b0 & 0x80) != 0;
    int opcode = b0 & 0x0F;
    if ((b0 & 0x70) != 0) return violation("reserved bits set");
    if ((b1 & 0x80) == 0) return violation("client frames must be masked");
    long length = b1 & 0x7F;
    int headerLength = 2;
    if (length == 126) {
      if (buffer.size() < 4) return null;
      length = ((buffer.apply(2) & 0xFF) << 8) | (buffer.apply(3) & 0xFF);
      headerLength = 4;
    } else if (length == 127) {
      if (buffer.size() < 10) return null;
      length = 0;
      for (int i = 2; i < 10; i++) length = (length << 8) | (buffer.apply(i) & 0xFF);
      headerLength = 10;
      if (length < 0) return violation("bad frame length");
    }
    boolean control = opcode >= OP_CLOSE;
    if (control && (!fin || length > 125)) return violation("bad control frame");
    if (!control && length + (fragments == null ? 0 : fragmentsSize) > maxMessageBytes) {
      return new Violation(CloseReason.TOO_BIG);
    }
    headerLength += 4; // masking key
    if (buffer.size() < headerLength + length) return null;
    ByteString payload = unmask(buffer, headerLength - 4, headerLength, (int) length);
    buffer = buffer.drop(headerLength + (int) length);
    if (buffer.isEmpty()) buffer = ByteString.emptyByteString(); // drop the reference to the old chunk
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
    if (opcode != OP_TEXT) return new Binary();
    // RFC 6455 §8.1: a text message that is not UTF-8 fails the connection (1007). Relaying it
    // would make browsers drop their connections.
    return Utf8.isValid(payload) ? new Text(payload) : new Violation(CloseReason.INVALID_UTF8);
  }

  private static Violation violation(String why) {
    return new Violation(new CloseReason(1002, why));
  }

  private static ByteString unmask(ByteString buf, int maskAt, int dataAt, int length) {
    byte[] mask = {buf.apply(maskAt), buf.apply(maskAt + 1), buf.apply(maskAt + 2), buf.apply(maskAt + 3)};
    byte[] data = new byte[length];
    buf.slice(dataAt, dataAt + length).copyToArray(data, 0, length);
    for (int i = 0; i < length; i++) data[i] ^= mask[i & 3];
    return ByteString.fromArrayUnsafe(data);
  }
}
