package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class Utf8Test {
  static boolean valid(int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < b.length; i++) b[i] = (byte) bytes[i];
    return Utf8.isValid(ByteString.fromArray(b));
  }

  @Test
  void acceptsWellFormedText() {
    assertTrue(Utf8.isValid(ByteString.fromString("plain ascii, é, 日本, 🎉", StandardCharsets.UTF_8)));
    assertTrue(Utf8.isValid(ByteString.emptyByteString()));
    assertTrue(valid(0xF4, 0x8F, 0xBF, 0xBF)); // U+10FFFF
  }

  @Test
  void refusesMalformedText() {
    assertFalse(valid(0xC0, 0x80), "overlong NUL");
    assertFalse(valid(0xE0, 0x80, 0x80), "overlong 3-byte");
    assertFalse(valid(0xED, 0xA0, 0x80), "surrogate D800");
    assertFalse(valid(0xF4, 0x90, 0x80, 0x80), "above U+10FFFF");
    assertFalse(valid(0x80), "lone continuation");
    assertFalse(valid(0xC3), "truncated");
    assertFalse(valid(0xE6, 0x97), "truncated 3-byte");
    assertFalse(valid(0xFF), "never valid");
    assertFalse(valid(0xC3, 0x41), "bad continuation");
  }
}
