package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A LongPoll POST body: frames per line, each and all bounded, every refusal with a clear reason. */
class NdjsonBatchTest {
  static final String ND = "application/x-ndjson";

  static NdjsonBatch.Parsed parse(String body, String type, int maxFrames, int maxFrameBytes) {
    return NdjsonBatch.parse(body.getBytes(StandardCharsets.UTF_8), type, maxFrames, maxFrameBytes);
  }

  static List<String> texts(NdjsonBatch.Parsed p) {
    assertNull(p.refusal(), p.refusal());
    return p.frames().stream().map(f -> (f.binary() ? "binary:" : "") + new String(f.bytes(), StandardCharsets.UTF_8)).toList();
  }

  @Test
  void oneFramePerLine() {
    assertEquals(List.of("[1]", "[2]", "[3]"), texts(parse("[1]\n[2]\r\n[3]", ND, 100, 100)));
    assertEquals(List.of("[1]", "[2]"), texts(parse("\n[1]\n\n[2]\n", ND + "; charset=utf-8", 100, 100)), "empty lines skipped");
    assertEquals(List.of(), texts(parse("", ND, 100, 100)));
  }

  @Test
  void anyOtherContentTypeIsOneFrame() {
    assertEquals(List.of("[1]\n[2]"), texts(parse("[1]\n[2]", "text/plain", 100, 100)));
    assertEquals(List.of("[1]"), texts(parse("[1]", null, 100, 100)));
  }

  @Test
  void framesPerRequestJustUnderAtAndOver() {
    assertEquals(2, texts(parse("[1]\n[2]", ND, 3, 100)).size());
    assertEquals(3, texts(parse("[1]\n[2]\n[3]", ND, 3, 100)).size());
    NdjsonBatch.Parsed over = parse("[1]\n[2]\n[3]\n[4]", ND, 3, 100);
    assertEquals(413, over.httpStatus());
    assertEquals("too_many_frames", over.label());
    assertTrue(over.refusal().contains("max-post-frames"), over.refusal());
  }

  @Test
  void frameBytesJustUnderAtAndOver() {
    assertEquals(1, texts(parse("[" + "1".repeat(7) + "]", ND, 10, 10)).size()); // 9 bytes
    assertEquals(1, texts(parse("[" + "1".repeat(8) + "]", ND, 10, 10)).size()); // 10 bytes
    NdjsonBatch.Parsed over = parse("[1]\n[" + "1".repeat(9) + "]", ND, 10, 10);
    assertEquals(413, over.httpStatus());
    assertEquals("frame_too_large", over.label());
    assertEquals(413, parse("x".repeat(11), "text/plain", 10, 10).httpStatus(), "a whole body as one frame too");
  }

  @Test
  void aBase64LineIsABinaryFrame() {
    String push = java.util.Base64.getEncoder().encodeToString("\u0000bin".getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of("[1]", "binary:\u0000bin", "[2]"), texts(parse("[1]\n" + push + "\n[2]", ND, 10, 100)));
    NdjsonBatch.Parsed bad = parse("[1]\n!!notbase64", ND, 10, 100);
    assertEquals(400, bad.httpStatus());
    assertEquals("bad_base64", bad.label());
  }

  @Test
  void aBinaryFrameIsBoundedByItsDecodedBytesJustUnderAtAndOver() {
    java.util.function.IntFunction<String> b64 = n -> java.util.Base64.getEncoder().encodeToString(new byte[n]);
    assertEquals(1, parse(b64.apply(9), ND, 10, 10).frames().size());
    assertEquals(1, parse(b64.apply(10), ND, 10, 10).frames().size(), "16 base64 characters for 10 bytes");
    assertEquals("frame_too_large", parse(b64.apply(11), ND, 10, 10).label());
    assertEquals("frame_too_large", parse(b64.apply(10_000), ND, 10, 10).label(), "far over: not even decoded");
  }

  @Test
  void invalidUtf8IsRefused() {
    NdjsonBatch.Parsed p = NdjsonBatch.parse(new byte[] {'[', (byte) 0xC3, ']'}, ND, 10, 100);
    assertEquals(400, p.httpStatus());
    assertEquals("invalid_utf8", p.label());
  }
}
