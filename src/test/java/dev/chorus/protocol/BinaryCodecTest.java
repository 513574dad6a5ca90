package dev.chorus.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * The binary messages of Phoenix's V2 serializer, laid out byte for byte as phoenix.js 1.8's
 * {@code serializer.js} writes (binaryEncode) and reads (decodeReply, decodeBroadcast) them.
 */
class BinaryCodecTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A push as phoenix.js's binaryEncode lays it out: kind 0, four lengths, the fields, the payload. */
  private static ByteString push(String joinRef, String ref, String topic, String event, byte[] payload) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[][] fields = {utf8(joinRef), utf8(ref), utf8(topic), utf8(event)};
    b.write(0);
    for (byte[] f : fields) b.write(f.length);
    for (byte[] f : fields) b.writeBytes(f);
    b.writeBytes(payload);
    return ByteString.fromArray(b.toByteArray());
  }

  private static ProtocolException bad(byte[] message) {
    return assertThrows(ProtocolException.class, () -> BinaryCodec.decodePush(ByteString.fromArray(message)));
  }

  /** A message of these byte values. */
  private static ProtocolException bad(int... values) {
    byte[] message = new byte[values.length];
    for (int i = 0; i < values.length; i++) message[i] = (byte) values[i];
    return bad(message);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) b.writeBytes(p);
    return b.toByteArray();
  }

  // ---------------------------------------------------------------- decoding a push

  @Test
  void decodesAPushAsPhoenixJsEncodesIt() throws Exception {
    byte[] payload = {0, 1, 2, (byte) 0xFF, (byte) 0xC0}; // any bytes, not UTF-8
    Frame f = BinaryCodec.decodePush(push("3", "7", "room:lobby", "file", payload));
    assertEquals("3", f.joinRef());
    assertEquals("7", f.ref());
    assertEquals("room:lobby", f.topic());
    assertEquals("file", f.event());
    assertArrayEquals(payload, f.payload().toArray());
    assertTrue(f.binary());
  }

  @Test
  void emptyPayloadAndMultibyteFields() throws Exception {
    Frame f = BinaryCodec.decodePush(push("1", "2", "room:ünï", "évènement", new byte[0]));
    assertEquals("room:ünï", f.topic());
    assertEquals("évènement", f.event());
    assertEquals(0, f.payload().size());
  }

  @Test
  void emptyRefsAreNull() throws Exception {
    Frame f = BinaryCodec.decodePush(push("", "", "room:a", "e", new byte[] {9}));
    assertNull(f.joinRef());
    assertNull(f.ref());
  }

  @Test
  void pushSizeIsTheWholeMessage() throws Exception {
    ByteString m = push("12", "345", "room:lobby", "file", new byte[3000]);
    Frame f = BinaryCodec.decodePush(m);
    assertEquals(m.size(), BinaryCodec.pushSize(f.joinRef(), f.ref(), f.topic(), f.event(), f.payload()));
    assertEquals(m.size(), FrameCodec.renderedSize(f)); // what max-message-bytes bounds
    assertEquals(5 + "room:a".length() + 1 + 2, BinaryCodec.pushSize(null, null, "room:a", "e", ByteString.fromArray(new byte[2])));
  }

  // ---------------------------------------------------------------- malformed pushes

  @Test
  void emptyMessage() {
    ProtocolException e = bad(new byte[0]);
    assertEquals("bad frame: empty binary message", e.reason());
    assertNull(e.ref());
  }

  @Test
  void headerTooShort() {
    for (int n = 1; n < 5; n++) {
      ProtocolException e = bad(new byte[n]);
      assertEquals("bad frame: binary header too short", e.reason());
      assertNull(e.ref());
    }
  }

  @Test
  void aClientMayOnlyPush() {
    assertEquals("bad frame: a client may only push (binary kind 0), got kind 1", bad(1, 0, 0, 0, 0).reason());
    assertEquals("bad frame: a client may only push (binary kind 0), got kind 2", bad(2, 0, 0, 0).reason());
    assertEquals("bad frame: unknown binary kind 3", bad(3, 0, 0, 0, 0).reason());
    assertEquals("bad frame: unknown binary kind 255", bad(255).reason());
  }

  @Test
  void lengthsBeyondTheMessageBeforeTheRefHaveNoRef() {
    ProtocolException e = bad(0, 5, 1, 1, 1, 'a');
    assertEquals("bad frame: binary join_ref runs past the end of the message", e.reason());
    assertNull(e.ref());
    e = bad(0, 1, 5, 1, 1, 'j', 'r');
    assertEquals("bad frame: binary ref runs past the end of the message", e.reason());
    assertNull(e.ref());
  }

  @Test
  void lengthsBeyondTheMessageAfterTheRefNameIt() {
    ProtocolException e = bad(concat(new byte[] {0, 1, 1, (byte) 200, 1}, utf8("jr"), utf8("room:a")));
    assertEquals("bad frame: binary topic runs past the end of the message", e.reason());
    assertEquals("j", e.joinRef());
    assertEquals("r", e.ref());
    assertNull(e.topic());
    e = bad(concat(new byte[] {0, 1, 1, 6, 9}, utf8("jr"), utf8("room:a"), utf8("ev")));
    assertEquals("bad frame: binary event runs past the end of the message", e.reason());
    assertEquals("r", e.ref());
    assertEquals("room:a", e.topic());
  }

  @Test
  void fieldsMustBeUtf8() {
    byte[] overlong = {(byte) 0xC0, (byte) 0xAF};
    byte[] surrogate = {(byte) 0xED, (byte) 0xA0, (byte) 0x80};
    ProtocolException e = bad(concat(new byte[] {0, 2, 1, 1, 1}, overlong, utf8("r"), utf8("t"), utf8("e")));
    assertEquals("bad frame: binary join_ref is not valid UTF-8", e.reason());
    assertNull(e.ref());
    e = bad(concat(new byte[] {0, 1, 3, 1, 1}, utf8("j"), surrogate, utf8("t"), utf8("e")));
    assertEquals("bad frame: binary ref is not valid UTF-8", e.reason());
    assertNull(e.ref());
    e = bad(concat(new byte[] {0, 1, 1, 2, 1}, utf8("j"), utf8("r"), overlong, utf8("e")));
    assertEquals("bad frame: binary topic is not valid UTF-8", e.reason());
    assertEquals("r", e.ref());
    e = bad(concat(new byte[] {0, 1, 1, 6, 1}, utf8("j"), utf8("r"), utf8("room:a"), new byte[] {(byte) 0xFF}));
    assertEquals("bad frame: binary event is not valid UTF-8", e.reason());
    assertEquals("room:a", e.topic());
  }

  // ---------------------------------------------------------------- encoding

  @Test
  void encodesABroadcastAsPhoenixJsDecodesIt() {
    byte[] payload = {(byte) 0xFF, 0, 7};
    ByteString b = BinaryCodec.encodeBroadcast("room:lobby", "file", ByteString.fromArray(payload));
    assertArrayEquals(concat(new byte[] {2, 10, 4}, utf8("room:lobby"), utf8("file"), payload), b.toArray());
  }

  @Test
  void broadcastReadsBack() throws Exception {
    ByteString b = BinaryCodec.encodeBroadcast("room:é", "ève", ByteString.fromArray(new byte[] {1, 2}));
    BinaryCodec.Broadcast read = BinaryCodec.decodeBroadcast(b);
    assertEquals("room:é", read.topic());
    assertEquals("ève", read.event());
    assertArrayEquals(new byte[] {1, 2}, read.payload().toArray());
    assertThrows(ProtocolException.class, () -> BinaryCodec.decodeBroadcast(push("1", "2", "t", "e", new byte[0])));
  }

  @Test
  void encodesAReplyAsPhoenixJsDecodesIt() {
    ByteString r = BinaryCodec.encodeReply("1", "22", "room:a", "ok", ByteString.fromArray(new byte[] {5}));
    assertArrayEquals(concat(new byte[] {1, 1, 2, 6, 2}, utf8("1"), utf8("22"), utf8("room:a"), utf8("ok"), new byte[] {5}), r.toArray());
    ByteString noRefs = BinaryCodec.encodeReply(null, null, "room:a", "ok", ByteString.emptyByteString());
    assertArrayEquals(concat(new byte[] {1, 0, 0, 6, 2}, utf8("room:a"), utf8("ok")), noRefs.toArray());
  }

  @Test
  void fieldsLongerThanOneByteCanSayAreRefused() {
    String longEvent = "é".repeat(128); // 256 bytes
    assertThrows(IllegalArgumentException.class, () -> BinaryCodec.encodeBroadcast("room:a", longEvent, ByteString.emptyByteString()));
    assertEquals(255, BinaryCodec.encodeBroadcast("room:a", "x".repeat(255), ByteString.emptyByteString()).apply(2) & 0xFF);
  }
}
