package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import io.netty.buffer.ByteBuf;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class WebSocketFramesTest {

  /** A parsed server frame; server frames are never masked. */
  private record Parsed(boolean fin, int rsv, int opcode, boolean masked, int headerLength, long length, byte[] payload) {}

  private static ByteString bytes(ByteBuf frame) {
    try {
      byte[] b = new byte[frame.readableBytes()];
      frame.getBytes(frame.readerIndex(), b);
      return ByteString.fromArrayUnsafe(b);
    } finally {
      frame.release();
    }
  }

  private static ByteString renderedText(ByteString payload) {
    ByteString asBytes = WebSocketFrames.textBytes(payload);
    ByteString asBuf = bytes(WebSocketFrames.text(payload));
    assertEquals(asBytes, asBuf, "both forms of a text frame hold the same bytes");
    return asBuf;
  }

  private static ByteString renderedClose(CloseReason reason) {
    return bytes(WebSocketFrames.close(reason));
  }

  private static ByteString renderedPong(ByteString payload) {
    return bytes(WebSocketFrames.pong(payload));
  }

  private static Parsed parse(ByteString frame) {
    byte[] b = frame.toArray();
    boolean fin = (b[0] & 0x80) != 0;
    int rsv = (b[0] >> 4) & 0x7;
    int opcode = b[0] & 0x0F;
    boolean masked = (b[1] & 0x80) != 0;
    long len = b[1] & 0x7F;
    int h = 2;
    if (len == 126) {
      len = ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
      h = 4;
    } else if (len == 127) {
      len = 0;
      for (int i = 2; i < 10; i++) len = (len << 8) | (b[i] & 0xFF);
      h = 10;
    }
    assertEquals(h + len, b.length, "frame length matches its header");
    return new Parsed(fin, rsv, opcode, masked, h, len, Arrays.copyOfRange(b, h, b.length));
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) b[i] = (byte) ('A' + i % 26);
    return b;
  }

  private static Parsed text(int n) {
    byte[] p = bytes(n);
    Parsed f = parse(renderedText(ByteString.fromArray(p)));
    assertEquals(true, f.fin());
    assertEquals(0, f.rsv());
    assertEquals(0x1, f.opcode());
    assertEquals(false, f.masked());
    assertEquals(n, f.length());
    assertArrayEquals(p, f.payload());
    return f;
  }

  @Test
  void emptyText() {
    ByteString f = renderedText(ByteString.emptyByteString());
    assertArrayEquals(new byte[] {(byte) 0x81, 0x00}, f.toArray());
  }

  @Test
  void smallTextExactBytes() {
    ByteString f = renderedText(ByteString.fromString("hi"));
    assertArrayEquals(new byte[] {(byte) 0x81, 0x02, 'h', 'i'}, f.toArray());
  }

  @Test
  void text125UsesSevenBitLength() {
    Parsed f = text(125);
    assertEquals(2, f.headerLength());
  }

  @Test
  void text126UsesSixteenBitLength() {
    Parsed f = text(126);
    assertEquals(4, f.headerLength());
    ByteString raw = renderedText(ByteString.fromArray(bytes(126)));
    assertEquals(126, raw.apply(1) & 0xFF);
    assertEquals(0x00, raw.apply(2) & 0xFF);
    assertEquals(0x7E, raw.apply(3) & 0xFF);
  }

  @Test
  void text65535UsesSixteenBitLength() {
    Parsed f = text(65535);
    assertEquals(4, f.headerLength());
    ByteString raw = renderedText(ByteString.fromArray(bytes(65535)));
    assertEquals(0xFF, raw.apply(2) & 0xFF);
    assertEquals(0xFF, raw.apply(3) & 0xFF);
  }

  @Test
  void text65536UsesSixtyFourBitLength() {
    Parsed f = text(65536);
    assertEquals(10, f.headerLength());
    ByteString raw = renderedText(ByteString.fromArray(bytes(65536)));
    assertEquals(127, raw.apply(1) & 0xFF);
    assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 1, 0, 0}, raw.slice(2, 10).toArray());
  }

  /** A binary frame has opcode 2 and the text frame's three length forms; its payload reads back whole. */
  @Test
  void binaryFramesAtEveryLengthForm() {
    for (int n : new int[] {0, 125, 126, 65535, 65536}) {
      byte[] p = new byte[n];
      for (int i = 0; i < n; i++) p[i] = (byte) (i * 31);
      ByteString frame = WebSocketFrames.binaryBytes(ByteString.fromArray(p));
      Parsed f = parse(frame);
      assertEquals(true, f.fin());
      assertEquals(0, f.rsv());
      assertEquals(0x2, f.opcode(), "a binary frame");
      assertEquals(false, f.masked());
      assertArrayEquals(p, f.payload());
      assertTrue(WebSocketFrames.isBinary(frame));
      assertArrayEquals(p, WebSocketFrames.payload(frame).toArray());
      assertEquals(frame, bytes(WebSocketFrames.toBuf(frame)), "queued as it is");
      ByteString text = WebSocketFrames.textBytes(ByteString.fromArray(bytes(n)));
      assertFalse(WebSocketFrames.isBinary(text));
      assertArrayEquals(bytes(n), WebSocketFrames.payload(text).toArray());
    }
  }

  @Test
  void textOfSeveralMegabytes() {
    Parsed f = text(3 * 1024 * 1024 + 7);
    assertEquals(10, f.headerLength());
  }

  @Test
  void pongEchoesPayload() {
    Parsed f = parse(renderedPong(ByteString.fromString("ping-data")));
    assertEquals(true, f.fin());
    assertEquals(0xA, f.opcode());
    assertEquals(false, f.masked());
    assertArrayEquals("ping-data".getBytes(StandardCharsets.US_ASCII), f.payload());
  }

  @Test
  void closeWithCodeAndReason() {
    ByteString raw = renderedClose(CloseReason.SLOW_CONSUMER);
    byte[] expected = new byte[2 + 2 + "slow consumer".length()];
    expected[0] = (byte) 0x88;
    expected[1] = (byte) (2 + "slow consumer".length());
    expected[2] = (byte) 0x0F; // 4000 = 0x0FA0
    expected[3] = (byte) 0xA0;
    System.arraycopy("slow consumer".getBytes(StandardCharsets.US_ASCII), 0, expected, 4, "slow consumer".length());
    assertArrayEquals(expected, raw.toArray());
  }

  @Test
  void closeWithEmptyReasonIsJustTheCode() {
    ByteString raw = renderedClose(new CloseReason(1000, ""));
    assertArrayEquals(new byte[] {(byte) 0x88, 0x02, 0x03, (byte) 0xE8}, raw.toArray());
  }

  @Test
  void closeReasonOfExactly123BytesIsKept() {
    String reason = "r".repeat(123);
    Parsed f = parse(renderedClose(new CloseReason(4002, reason)));
    assertEquals(125, f.length());
    assertEquals(2, f.headerLength());
    assertEquals(reason, new String(f.payload(), 2, 123, StandardCharsets.US_ASCII));
  }

  @Test
  void longReasonIsTruncatedToFitTheControlFrame() {
    String reason = "bad frame: " + "x".repeat(500);
    Parsed f = parse(renderedClose(CloseReason.badFrame(reason)));
    assertEquals(true, f.fin());
    assertEquals(0x8, f.opcode());
    assertEquals(125, f.length());
    assertEquals(2, f.headerLength(), "a control frame must use the 7-bit length");
    assertEquals(CloseReason.BAD_FRAME, ((f.payload()[0] & 0xFF) << 8) | (f.payload()[1] & 0xFF));
    assertEquals(reason.substring(0, 123), new String(f.payload(), 2, 123, StandardCharsets.US_ASCII));
  }

  @Test
  void closeFrameIsReadBackByTheReaderOnceMasked() {
    // the server's close payload is a valid client close payload too: same code
    ByteString raw = renderedClose(CloseReason.IDLE_TIMEOUT);
    byte[] payload = parse(raw).payload();
    byte[] masked = new byte[2 + 4 + payload.length];
    masked[0] = (byte) 0x88;
    masked[1] = (byte) (0x80 | payload.length);
    // zero mask: the payload is unchanged
    System.arraycopy(payload, 0, masked, 6, payload.length);
    WebSocketFrameReader r = new WebSocketFrameReader(1024);
    r.feed(ByteString.fromArray(masked));
    assertEquals(new WebSocketFrameReader.Close(4001), r.poll());
  }
}
