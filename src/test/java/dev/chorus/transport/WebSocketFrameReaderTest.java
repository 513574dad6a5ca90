package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class WebSocketFrameReaderTest {
  private static final int MAX = 128 * 1024;
  private static final byte[] MASK = {(byte) 0x37, (byte) 0xFA, (byte) 0x21, (byte) 0x3D};

  // ---------------------------------------------------------------- frame building

  /** A client frame: masked unless told otherwise, with the shortest length encoding. */
  private static byte[] frame(boolean fin, int rsv, int opcode, boolean masked, byte[] payload) {
    return frame(fin, rsv, opcode, masked, payload.length, payload);
  }

  private static byte[] frame(boolean fin, int rsv, int opcode, boolean masked, long declaredLength, byte[] payload) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.write((fin ? 0x80 : 0) | (rsv << 4) | opcode);
    int maskBit = masked ? 0x80 : 0;
    if (declaredLength < 126) {
      o.write(maskBit | (int) declaredLength);
    } else if (declaredLength < 65536) {
      o.write(maskBit | 126);
      o.write((int) (declaredLength >> 8) & 0xFF);
      o.write((int) declaredLength & 0xFF);
    } else {
      o.write(maskBit | 127);
      for (int i = 7; i >= 0; i--) o.write((int) (declaredLength >>> (8 * i)) & 0xFF);
    }
    if (masked) {
      o.writeBytes(MASK);
      byte[] m = payload.clone();
      for (int i = 0; i < m.length; i++) m[i] ^= MASK[i & 3];
      o.writeBytes(m);
    } else {
      o.writeBytes(payload);
    }
    return o.toByteArray();
  }

  private static byte[] masked(int opcode, boolean fin, byte[] payload) {
    return frame(fin, 0, opcode, true, payload);
  }

  private static byte[] text(String s) {
    return masked(0x1, true, utf8(s));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) b[i] = (byte) ('a' + i % 26);
    return b;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (byte[] p : parts) o.writeBytes(p);
    return o.toByteArray();
  }

  private static WebSocketFrameReader reader(byte[]... feeds) {
    WebSocketFrameReader r = new WebSocketFrameReader(MAX);
    for (byte[] f : feeds) r.feed(ByteString.fromArray(f));
    return r;
  }

  private static void assertViolation(int code, WebSocketFrameReader.Event e) {
    WebSocketFrameReader.Violation v = assertInstanceOf(WebSocketFrameReader.Violation.class, e);
    assertEquals(code, v.reason().code(), v.reason().reason());
  }

  private static byte[] textPayload(WebSocketFrameReader.Event e) {
    return assertInstanceOf(WebSocketFrameReader.Text.class, e).payload().toArray();
  }

  // ---------------------------------------------------------------- data frames

  @Test
  void smallText() {
    WebSocketFrameReader r = reader(text("[null,\"1\",\"phoenix\",\"heartbeat\",{}]"));
    WebSocketFrameReader.Event e = r.poll();
    assertEquals("[null,\"1\",\"phoenix\",\"heartbeat\",{}]", ((WebSocketFrameReader.Text) e).payload().decodeString(StandardCharsets.UTF_8));
    assertNull(r.poll());
    assertEquals(0, r.buffered());
  }

  @Test
  void unicodeTextIsUnmaskedExactly() {
    String s = "héllo 日本 😀";
    WebSocketFrameReader r = reader(text(s));
    assertEquals(s, new String(textPayload(r.poll()), StandardCharsets.UTF_8));
  }

  @Test
  void emptyText() {
    WebSocketFrameReader r = reader(text(""));
    assertEquals(0, textPayload(r.poll()).length);
  }

  @Test
  void text125UsesSevenBitLength() {
    byte[] p = bytes(125);
    byte[] f = masked(0x1, true, p);
    assertEquals(0x80 | 125, f[1] & 0xFF);
    assertArrayEquals(p, textPayload(reader(f).poll()));
  }

  @Test
  void text126UsesSixteenBitLength() {
    byte[] p = bytes(126);
    byte[] f = masked(0x1, true, p);
    assertEquals(0x80 | 126, f[1] & 0xFF);
    assertArrayEquals(p, textPayload(reader(f).poll()));
  }

  @Test
  void text65535UsesSixteenBitLength() {
    byte[] p = bytes(65535);
    byte[] f = masked(0x1, true, p);
    assertEquals(0x80 | 126, f[1] & 0xFF);
    assertArrayEquals(p, textPayload(reader(f).poll()));
  }

  @Test
  void text65536UsesSixtyFourBitLength() {
    byte[] p = bytes(65536);
    byte[] f = masked(0x1, true, p);
    assertEquals(0x80 | 127, f[1] & 0xFF);
    assertArrayEquals(p, textPayload(reader(f).poll()));
  }

  @Test
  void largeTextUpToTheLimit() {
    byte[] p = bytes(MAX);
    assertArrayEquals(p, textPayload(reader(masked(0x1, true, p)).poll()));
  }

  @Test
  void frameFedOneByteAtATime() {
    byte[] p = bytes(300); // 16-bit length: the header itself arrives in pieces
    byte[] f = masked(0x1, true, p);
    WebSocketFrameReader r = new WebSocketFrameReader(MAX);
    for (int i = 0; i < f.length - 1; i++) {
      r.feed(ByteString.fromArray(new byte[] {f[i]}));
      assertNull(r.poll(), "complete after " + (i + 1) + " of " + f.length + " bytes");
    }
    r.feed(ByteString.fromArray(new byte[] {f[f.length - 1]}));
    assertArrayEquals(p, textPayload(r.poll()));
    assertNull(r.poll());
  }

  @Test
  void sixtyFourBitHeaderFedOneByteAtATime() {
    byte[] p = bytes(70_000);
    byte[] f = masked(0x1, true, p);
    WebSocketFrameReader r = new WebSocketFrameReader(MAX);
    for (int i = 0; i < 14; i++) { // 10-byte header + mask
      r.feed(ByteString.fromArray(new byte[] {f[i]}));
      assertNull(r.poll());
    }
    r.feed(ByteString.fromArray(Arrays.copyOfRange(f, 14, f.length - 1)));
    assertNull(r.poll());
    r.feed(ByteString.fromArray(Arrays.copyOfRange(f, f.length - 1, f.length)));
    assertArrayEquals(p, textPayload(r.poll()));
  }

  @Test
  void twoFramesInOneFeed() {
    WebSocketFrameReader r = reader(concat(text("one"), text("two")));
    assertArrayEquals(utf8("one"), textPayload(r.poll()));
    assertArrayEquals(utf8("two"), textPayload(r.poll()));
    assertNull(r.poll());
  }

  @Test
  void frameAndAHalfThenTheRest() {
    byte[] two = concat(text("first"), text("second"));
    int cut = text("first").length + 3;
    WebSocketFrameReader r = reader(Arrays.copyOfRange(two, 0, cut));
    assertArrayEquals(utf8("first"), textPayload(r.poll()));
    assertNull(r.poll());
    assertEquals(3, r.buffered());
    r.feed(ByteString.fromArray(Arrays.copyOfRange(two, cut, two.length)));
    assertArrayEquals(utf8("second"), textPayload(r.poll()));
    assertEquals(0, r.buffered());
  }

  @Test
  void fragmentedText() {
    WebSocketFrameReader r = reader(
        masked(0x1, false, utf8("Hel")), masked(0x0, false, utf8("lo, ")), masked(0x0, true, utf8("world")));
    assertArrayEquals(utf8("Hello, world"), textPayload(r.poll()));
    assertNull(r.poll());
  }

  @Test
  void fragmentedTextArrivingPieceByPiece() {
    WebSocketFrameReader r = reader(masked(0x1, false, utf8("a")));
    assertNull(r.poll());
    r.feed(ByteString.fromArray(masked(0x0, false, utf8("b"))));
    assertNull(r.poll());
    r.feed(ByteString.fromArray(masked(0x0, true, utf8("c"))));
    assertArrayEquals(utf8("abc"), textPayload(r.poll()));
  }

  @Test
  void pingInterleavedInFragmentedMessage() {
    WebSocketFrameReader r = reader(concat(
        masked(0x1, false, utf8("ab")),
        masked(0x9, true, utf8("p!")),
        masked(0x0, false, utf8("cd")),
        masked(0xA, true, new byte[0]),
        masked(0x0, true, utf8("ef"))));
    WebSocketFrameReader.Ping ping = assertInstanceOf(WebSocketFrameReader.Ping.class, r.poll());
    assertArrayEquals(utf8("p!"), ping.payload().toArray());
    assertInstanceOf(WebSocketFrameReader.Pong.class, r.poll());
    assertArrayEquals(utf8("abcdef"), textPayload(r.poll()));
    assertNull(r.poll());
  }

  @Test
  void messageAfterFragmentedMessageEndsIsFine() {
    WebSocketFrameReader r = reader(concat(masked(0x1, false, utf8("x")), masked(0x0, true, utf8("y")), text("z")));
    assertArrayEquals(utf8("xy"), textPayload(r.poll()));
    assertArrayEquals(utf8("z"), textPayload(r.poll()));
  }

  @Test
  void binaryIsReportedAsBinaryWithItsBytes() {
    WebSocketFrameReader.Binary b = assertInstanceOf(WebSocketFrameReader.Binary.class, reader(masked(0x2, true, new byte[] {1, 2, 3})).poll());
    assertArrayEquals(new byte[] {1, 2, 3}, b.payload().toArray());
  }

  @Test
  void fragmentedBinaryIsReassembled() {
    WebSocketFrameReader r = reader(masked(0x2, false, new byte[] {1}), masked(0x0, true, new byte[] {2}));
    assertArrayEquals(new byte[] {1, 2}, assertInstanceOf(WebSocketFrameReader.Binary.class, r.poll()).payload().toArray());
  }

  @Test
  void binaryIsNotCheckedForUtf8() {
    byte[] notUtf8 = {(byte) 0xC0, (byte) 0xFF, 0};
    WebSocketFrameReader.Binary b = assertInstanceOf(WebSocketFrameReader.Binary.class, reader(masked(0x2, true, notUtf8)).poll());
    assertArrayEquals(notUtf8, b.payload().toArray());
  }

  // ---------------------------------------------------------------- control frames

  @Test
  void pingWithPayload() {
    byte[] p = bytes(125);
    WebSocketFrameReader.Ping ping = assertInstanceOf(WebSocketFrameReader.Ping.class, reader(masked(0x9, true, p)).poll());
    assertArrayEquals(p, ping.payload().toArray());
  }

  @Test
  void emptyPing() {
    WebSocketFrameReader.Ping ping = assertInstanceOf(WebSocketFrameReader.Ping.class, reader(masked(0x9, true, new byte[0])).poll());
    assertEquals(0, ping.payload().size());
  }

  @Test
  void pong() {
    assertInstanceOf(WebSocketFrameReader.Pong.class, reader(masked(0xA, true, utf8("x"))).poll());
  }

  @Test
  void closeWithCode() {
    WebSocketFrameReader.Close c = assertInstanceOf(WebSocketFrameReader.Close.class,
        reader(masked(0x8, true, new byte[] {0x03, (byte) 0xE8})).poll());
    assertEquals(1000, c.code());
  }

  @Test
  void closeWithCodeAndReason() {
    byte[] p = concat(new byte[] {0x0F, (byte) 0xA0}, utf8("bye"));
    WebSocketFrameReader.Close c = assertInstanceOf(WebSocketFrameReader.Close.class, reader(masked(0x8, true, p)).poll());
    assertEquals(4000, c.code());
  }

  @Test
  void closeWithoutCodeIs1005() {
    WebSocketFrameReader.Close c = assertInstanceOf(WebSocketFrameReader.Close.class, reader(masked(0x8, true, new byte[0])).poll());
    assertEquals(1005, c.code());
  }

  @Test
  void closeWithOneBytePayloadIsViolation() {
    assertViolation(1002, reader(masked(0x8, true, new byte[] {0x03})).poll());
  }

  // ---------------------------------------------------------------- violations

  @Test
  void unmaskedFrame() {
    WebSocketFrameReader r = reader(frame(true, 0, 0x1, false, utf8("hi")));
    assertViolation(1002, r.poll());
  }

  @Test
  void unmaskedFrameDetectedFromTwoHeaderBytes() {
    WebSocketFrameReader r = reader(new byte[] {(byte) 0x81, 0x7D});
    assertViolation(1002, r.poll());
  }

  @Test
  void reservedBitSet() {
    for (int rsv : new int[] {1, 2, 4}) {
      assertViolation(1002, reader(frame(true, rsv, 0x1, true, utf8("x"))).poll());
    }
  }

  @Test
  void controlFrameOver125Bytes() {
    assertViolation(1002, reader(masked(0x9, true, bytes(126))).poll());
  }

  @Test
  void controlFrameOver125BytesDetectedFromHeader() {
    byte[] f = masked(0x9, true, bytes(126));
    assertViolation(1002, reader(Arrays.copyOf(f, 4)).poll());
  }

  @Test
  void nonFinControlFrame() {
    assertViolation(1002, reader(masked(0x9, false, utf8("x"))).poll());
    assertViolation(1002, reader(masked(0x8, false, new byte[] {0x03, (byte) 0xE8})).poll());
  }

  @Test
  void continuationWithoutStart() {
    assertViolation(1002, reader(masked(0x0, true, utf8("x"))).poll());
  }

  @Test
  void newTextWhileFragmented() {
    WebSocketFrameReader r = reader(masked(0x1, false, utf8("a")), text("b"));
    assertViolation(1002, r.poll());
  }

  @Test
  void newBinaryWhileFragmented() {
    WebSocketFrameReader r = reader(masked(0x1, false, utf8("a")), masked(0x2, true, new byte[] {1}));
    assertViolation(1002, r.poll());
  }

  @Test
  void unknownDataOpcode() {
    assertViolation(1002, reader(masked(0x3, true, utf8("x"))).poll());
  }

  @Test
  void unknownControlOpcode() {
    assertViolation(1002, reader(masked(0xB, true, utf8("x"))).poll());
  }

  @Test
  void overMaxSizeDetectedFromHeaderAlone() {
    // only the 10 header bytes: the payload never arrives, the violation must come anyway
    byte[] header = Arrays.copyOf(frame(true, 0, 0x1, true, MAX + 1, new byte[0]), 10);
    WebSocketFrameReader r = reader(header);
    assertViolation(1009, r.poll());
    // reported once; after a violation the reader reads nothing more (the connection closes)
    r.feed(ByteString.fromArray(text("[]")));
    assertNull(r.poll());
  }

  @Test
  void hugeSixtyFourBitLengthIsTooBig() {
    byte[] header = Arrays.copyOf(frame(true, 0, 0x1, true, 1L << 40, new byte[0]), 10);
    assertViolation(1009, reader(header).poll());
  }

  @Test
  void negativeSixtyFourBitLengthIsViolation() {
    byte[] header = {(byte) 0x81, (byte) (0x80 | 127), (byte) 0x80, 0, 0, 0, 0, 0, 0, 1};
    assertViolation(1002, reader(header).poll());
  }

  @Test
  void sixteenBitLengthOverMaxIsTooBig() {
    WebSocketFrameReader r = new WebSocketFrameReader(1000);
    r.feed(ByteString.fromArray(Arrays.copyOf(masked(0x1, true, bytes(1001)), 4)));
    assertViolation(1009, r.poll());
  }

  @Test
  void exactlyMaxIsAccepted() {
    WebSocketFrameReader r = new WebSocketFrameReader(1000);
    r.feed(ByteString.fromArray(masked(0x1, true, bytes(1000))));
    assertEquals(1000, textPayload(r.poll()).length);
  }

  @Test
  void fragmentedTotalOverMax() {
    WebSocketFrameReader r = new WebSocketFrameReader(1000);
    r.feed(ByteString.fromArray(masked(0x1, false, bytes(600))));
    assertNull(r.poll());
    // the second fragment's header alone tells the total (600 + 401) is over the limit
    r.feed(ByteString.fromArray(Arrays.copyOf(masked(0x0, true, bytes(401)), 4)));
    assertViolation(1009, r.poll());
  }

  @Test
  void fragmentedTotalAtMaxIsAccepted() {
    WebSocketFrameReader r = new WebSocketFrameReader(1000);
    r.feed(ByteString.fromArray(concat(masked(0x1, false, bytes(600)), masked(0x0, true, bytes(400)))));
    assertEquals(1000, textPayload(r.poll()).length);
  }

  @Test
  void controlFramesDoNotCountTowardsFragmentedSize() {
    WebSocketFrameReader r = new WebSocketFrameReader(100);
    r.feed(ByteString.fromArray(concat(
        masked(0x1, false, bytes(60)), masked(0x9, true, bytes(100)), masked(0x0, true, bytes(40)))));
    assertInstanceOf(WebSocketFrameReader.Ping.class, r.poll());
    assertEquals(100, textPayload(r.poll()).length);
  }

  @Test
  void bufferedIsBoundedWhileWaitingForAFrame() {
    byte[] f = masked(0x1, true, bytes(5000));
    WebSocketFrameReader r = reader(Arrays.copyOf(f, 2000));
    assertNull(r.poll());
    assertEquals(2000, r.buffered());
    r.feed(ByteString.fromArray(Arrays.copyOfRange(f, 2000, f.length)));
    assertEquals(5000, textPayload(r.poll()).length);
    assertEquals(0, r.buffered());
  }

  @Test
  void invalidUtf8TextFailsTheConnectionWith1007() {
    byte[] overlong = {'"', (byte) 0xC0, (byte) 0x80, '"'};
    assertViolation(1007, reader(masked(0x1, true, overlong)).poll());
  }

  @Test
  void closeCodesThatMayNotBeSentAreViolations() {
    for (int code : new int[] {1004, 1005, 1006, 1015, 2999, 5000}) {
      assertViolation(1002, reader(masked(0x8, true, new byte[] {(byte) (code >> 8), (byte) code})).poll());
    }
    var ok = reader(masked(0x8, true, new byte[] {(byte) (4000 >> 8), (byte) 4000})).poll();
    assertEquals(new WebSocketFrameReader.Close(4000), ok);
  }
}
