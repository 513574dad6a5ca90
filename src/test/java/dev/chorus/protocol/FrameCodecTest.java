package dev.chorus.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FrameCodecTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static ByteString bs(String s) {
    return ByteString.fromString(s, StandardCharsets.UTF_8);
  }

  private static String str(ByteString b) {
    return b.decodeString(StandardCharsets.UTF_8);
  }

  private static Frame decode(String s) throws ProtocolException {
    return FrameCodec.decode(bs(s));
  }

  private static ProtocolException bad(String s) {
    return bad(bs(s));
  }

  private static ProtocolException bad(ByteString b) {
    return assertThrows(ProtocolException.class, () -> FrameCodec.decode(b));
  }

  private static void assertCarried(ProtocolException e, String joinRef, String ref, String topic) {
    assertEquals(joinRef, e.joinRef(), "joinRef");
    assertEquals(ref, e.ref(), "ref");
    assertEquals(topic, e.topic(), "topic");
  }

  // ---------------------------------------------------------------- decoding valid frames

  @Test
  void decodesJoinWithParams() throws Exception {
    Frame f = decode("[\"1\",\"1\",\"room:lobby\",\"phx_join\",{\"user\":\"ann\",\"n\":3}]");
    assertEquals("1", f.joinRef());
    assertEquals("1", f.ref());
    assertEquals("room:lobby", f.topic());
    assertEquals(Events.JOIN, f.event());
    assertEquals("{\"user\":\"ann\",\"n\":3}", str(f.payload()));
    assertFalse(f.isHeartbeat());
  }

  @Test
  void decodesPush() throws Exception {
    Frame f = decode("[\"3\",\"7\",\"room:lobby\",\"new_msg\",{\"body\":\"hi\"}]");
    assertEquals("3", f.joinRef());
    assertEquals("7", f.ref());
    assertEquals("room:lobby", f.topic());
    assertEquals("new_msg", f.event());
    assertEquals("{\"body\":\"hi\"}", str(f.payload()));
  }

  @Test
  void decodesLeave() throws Exception {
    Frame f = decode("[\"3\",\"8\",\"room:lobby\",\"phx_leave\",{}]");
    assertEquals(Events.LEAVE, f.event());
    assertEquals("3", f.joinRef());
    assertEquals("8", f.ref());
    assertEquals("{}", str(f.payload()));
  }

  @Test
  void decodesHeartbeatWithNullJoinRef() throws Exception {
    Frame f = decode("[null,\"9\",\"phoenix\",\"heartbeat\",{}]");
    assertNull(f.joinRef());
    assertEquals("9", f.ref());
    assertEquals(Frame.HEARTBEAT_TOPIC, f.topic());
    assertEquals(Events.HEARTBEAT, f.event());
    assertEquals("{}", str(f.payload()));
    assertTrue(f.isHeartbeat());
  }

  @Test
  void decodesNullJoinRefAndNullRef() throws Exception {
    Frame f = decode("[null,null,\"room:a\",\"ev\",{}]");
    assertNull(f.joinRef());
    assertNull(f.ref());
    assertEquals("room:a", f.topic());
    assertEquals("ev", f.event());
  }

  @Test
  void heartbeatOnlyOnPhoenixTopic() throws Exception {
    assertFalse(decode("[null,\"1\",\"room:a\",\"heartbeat\",{}]").isHeartbeat());
    assertFalse(decode("[null,\"1\",\"phoenix\",\"other\",{}]").isHeartbeat());
  }

  @Test
  void decodesEscapedStringsInHeader() throws Exception {
    Frame f = decode("[\"a\\\"b\",\"c\\\\d\",\"room:\\u00e9t\\u00e9\",\"ev\\n\",{}]");
    assertEquals("a\"b", f.joinRef());
    assertEquals("c\\d", f.ref());
    assertEquals("room:été", f.topic());
    assertEquals("ev\n", f.event());
  }

  // ---------------------------------------------------------------- payload slices

  private static void assertPayloadSlice(String payload) throws Exception {
    String msg = "[\"1\",\"2\",\"room:x\",\"ev\"," + payload + "]";
    Frame f = decode(msg);
    assertArrayEquals(payload.getBytes(StandardCharsets.UTF_8), f.payload().toArray(), msg);
  }

  @Test
  void payloadSliceIsByteExactForNestedObjects() throws Exception {
    assertPayloadSlice("{\"a\":{\"b\":{\"c\":[1,2,{\"d\":null}]}},\"e\":[],\"f\":true,\"g\":-1.5e3}");
  }

  @Test
  void payloadSliceIsByteExactForUnicode() throws Exception {
    // multi-byte UTF-8 before and inside the payload shifts byte offsets away from char offsets
    String msg = "[\"ü\",\"€\",\"room:日本\",\"ev😀\",{\"t\":\"日本語 😀 ü\",\"k€\":1}]";
    Frame f = decode(msg);
    assertEquals("room:日本", f.topic());
    assertEquals("ev😀", f.event());
    assertArrayEquals("{\"t\":\"日本語 😀 ü\",\"k€\":1}".getBytes(StandardCharsets.UTF_8), f.payload().toArray());
  }

  @Test
  void payloadSliceIsByteExactForEscapedStrings() throws Exception {
    assertPayloadSlice("{\"q\":\"say \\\"hi\\\" \\\\ \\/ \\u00e9 \\ud83d\\ude00 \\n\\t\",\"}\":\"{[\"}");
  }

  @Test
  void payloadSliceExcludesSurroundingWhitespace() throws Exception {
    String msg = " \n[ \"1\" , \"2\" ,\t\"room:x\" , \"ev\" ,  \r\n {  \"a\" : 1 }  \n ] \n";
    Frame f = decode(msg);
    assertEquals("1", f.joinRef());
    assertEquals("2", f.ref());
    assertEquals("{  \"a\" : 1 }", str(f.payload()));
  }

  @Test
  void payloadSliceOfASlicedInput() throws Exception {
    // the input ByteString itself may be a slice of a larger buffer (offset != 0)
    ByteString whole = bs("XXXX[\"1\",\"2\",\"room:x\",\"ev\",{\"a\":\"b\"}]YYYY");
    ByteString msg = whole.slice(4, whole.size() - 4);
    Frame f = FrameCodec.decode(msg);
    assertEquals("{\"a\":\"b\"}", str(f.payload()));
  }

  @Test
  void payloadAtMaximumNestingDecodes() throws Exception {
    // the array is one level; 63 nested objects reach the limit of 64
    assertPayloadSlice(nested(63));
  }

  private static String nested(int depth) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < depth; i++) b.append("{\"a\":");
    b.append("1");
    for (int i = 0; i < depth; i++) b.append('}');
    return b.toString();
  }

  // ---------------------------------------------------------------- encoding

  @Test
  void replyOkWithEmptyResponse() {
    assertEquals(
        "[\"1\",\"2\",\"room:lobby\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]",
        str(FrameCodec.replyOk("1", "2", "room:lobby")));
  }

  @Test
  void replyOkWithResponse() {
    assertEquals(
        "[\"1\",\"2\",\"room:lobby\",\"phx_reply\",{\"status\":\"ok\",\"response\":{\"x\":[1]}}]",
        str(FrameCodec.replyOk("1", "2", "room:lobby", bs("{\"x\":[1]}"))));
  }

  @Test
  void replyOkWithNullJoinRef() {
    assertEquals(
        "[null,\"9\",\"phoenix\",\"phx_reply\",{\"status\":\"ok\",\"response\":{}}]",
        str(FrameCodec.replyOk(null, "9", "phoenix")));
  }

  @Test
  void replyError() {
    assertEquals(
        "[\"1\",\"2\",\"room:lobby\",\"phx_reply\",{\"status\":\"error\",\"response\":{\"reason\":\"room full\"}}]",
        str(FrameCodec.replyError("1", "2", "room:lobby", "room full")));
  }

  @Test
  void broadcast() {
    assertEquals(
        "[null,null,\"room:lobby\",\"new_msg\",{\"body\":\"hi\"}]",
        str(FrameCodec.encode(null, null, "room:lobby", "new_msg", bs("{\"body\":\"hi\"}"))));
  }

  @Test
  void joinEventNamesTheJoinTwice() {
    assertEquals("[\"4\",\"4\",\"room:lobby\",\"phx_close\",{}]", str(FrameCodec.joinEvent("4", "room:lobby", Events.CLOSE)));
    assertEquals("[\"4\",\"4\",\"room:lobby\",\"phx_error\",{}]", str(FrameCodec.joinEvent("4", "room:lobby", Events.ERROR)));
  }

  @Test
  void encodeEscapesQuotesBackslashesControlsAndUnicode() throws Exception {
    String nasty = "q\"uo\\te\n\t\u0001 é 日本 😀 </script>";
    ByteString out = FrameCodec.replyError(nasty, "r\"", "room:" + nasty, nasty);
    JsonNode n = MAPPER.readTree(out.toArray());
    assertTrue(n.isArray());
    assertEquals(5, n.size());
    assertEquals(nasty, n.get(0).asText());
    assertEquals("r\"", n.get(1).asText());
    assertEquals("room:" + nasty, n.get(2).asText());
    assertEquals("phx_reply", n.get(3).asText());
    assertEquals("error", n.get(4).get("status").asText());
    assertEquals(nasty, n.get(4).get("response").get("reason").asText());
  }

  @Test
  void replyErrorWithNullReasonIsJsonNull() throws Exception {
    JsonNode n = MAPPER.readTree(FrameCodec.replyError("1", "2", "t:x", null).toArray());
    assertTrue(n.get(4).get("response").get("reason").isNull());
  }

  @Test
  void encodeThenDecodeRoundTrips() throws Exception {
    String payload = "{\"msg\":\"he said \\\"é😀\\\"\",\"n\":[1,{\"x\":null}]}";
    ByteString out = FrameCodec.encode("j\"1", "r\\2", "room:日本", "ev\u0002", bs(payload));
    Frame f = FrameCodec.decode(out);
    assertEquals("j\"1", f.joinRef());
    assertEquals("r\\2", f.ref());
    assertEquals("room:日本", f.topic());
    assertEquals("ev\u0002", f.event());
    assertEquals(payload, str(f.payload()));
    // and Jackson agrees it is the same JSON
    assertEquals(MAPPER.readTree(payload), MAPPER.readTree(out.toArray()).get(4));
  }

  @Test
  void decodedPayloadSplicesIntoBroadcastUnchanged() throws Exception {
    Frame in = decode("[\"1\",\"2\",\"room:x\",\"ev\",{ \"a\" : \"ü\" }]");
    assertEquals("[null,null,\"room:x\",\"ev\",{ \"a\" : \"ü\" }]", str(FrameCodec.encode(null, null, in.topic(), in.event(), in.payload())));
  }

  // ---------------------------------------------------------------- malformed frames

  @Test
  void notJson() {
    ProtocolException e = bad("hello");
    assertEquals("bad frame: not valid JSON", e.reason());
    assertCarried(e, null, null, null);
  }

  @Test
  void emptyMessage() {
    ProtocolException e = bad("");
    assertEquals("bad frame: expected a JSON array", e.reason());
    assertCarried(e, null, null, null);
  }

  @Test
  void truncatedJsonAfterTopic() {
    ProtocolException e = bad("[\"1\",\"2\",\"room:x\"");
    assertEquals("bad frame: not valid JSON", e.reason());
    assertCarried(e, "1", "2", "room:x");
  }

  @Test
  void truncatedJsonInsidePayload() {
    ProtocolException e = bad("[\"1\",\"2\",\"room:x\",\"ev\",{\"a\":");
    assertEquals("bad frame: not valid JSON", e.reason());
    assertCarried(e, "1", "2", "room:x");
  }

  @Test
  void truncatedJsonBeforeClosingBracket() {
    ProtocolException e = bad("[\"1\",\"2\",\"room:x\",\"ev\",{}");
    assertEquals("bad frame: not valid JSON", e.reason());
    assertCarried(e, "1", "2", "room:x");
  }

  @Test
  void objectInsteadOfArray() {
    ProtocolException e = bad("{\"topic\":\"room:x\"}");
    assertEquals("bad frame: expected a JSON array", e.reason());
    assertCarried(e, null, null, null);
  }

  @Test
  void scalarInsteadOfArray() {
    assertEquals("bad frame: expected a JSON array", bad("\"x\"").reason());
  }

  @Test
  void emptyArray() {
    ProtocolException e = bad("[]");
    assertEquals("bad frame: expected 5 elements", e.reason());
    assertCarried(e, null, null, null);
  }

  @Test
  void fourElements() {
    ProtocolException e = bad("[\"1\",\"2\",\"room:x\",\"ev\"]");
    assertEquals("bad frame: expected 5 elements", e.reason());
    assertCarried(e, "1", "2", "room:x");
  }

  @Test
  void twoElements() {
    ProtocolException e = bad("[\"1\",\"2\"]");
    assertEquals("bad frame: expected 5 elements", e.reason());
    assertCarried(e, "1", "2", null);
  }

  @Test
  void sixElements() {
    ProtocolException e = bad("[\"1\",\"2\",\"room:x\",\"ev\",{},\"extra\"]");
    assertEquals("bad frame: expected 5 elements", e.reason());
    assertCarried(e, "1", "2", "room:x");
  }

  @Test
  void joinRefNumber() {
    ProtocolException e = bad("[1,\"2\",\"room:x\",\"ev\",{}]");
    assertEquals("bad frame: join_ref must be a string or null", e.reason());
    assertCarried(e, null, null, null);
  }

  @Test
  void refObject() {
    ProtocolException e = bad("[\"1\",{\"r\":2},\"room:x\",\"ev\",{}]");
    assertEquals("bad frame: ref must be a string or null", e.reason());
    assertCarried(e, "1", null, null);
  }

  @Test
  void topicNull() {
    ProtocolException e = bad("[\"1\",\"2\",null,\"ev\",{}]");
    assertEquals("bad frame: topic must be a string", e.reason());
    assertCarried(e, "1", "2", null);
  }

  @Test
  void eventNumber() {
    ProtocolException e = bad("[\"1\",\"2\",\"room:x\",42,{}]");
    assertEquals("bad frame: event must be a string", e.reason());
    assertCarried(e, "1", "2", "room:x");
  }

  @Test
  void eventNull() {
    ProtocolException e = bad("[null,\"2\",\"room:x\",null,{}]");
    assertEquals("bad frame: event must be a string", e.reason());
    assertCarried(e, null, "2", "room:x");
  }

  @ParameterizedTest
  @ValueSource(strings = {"[1,2]", "\"text\"", "null", "42", "true"})
  void payloadNotAnObject(String payload) {
    ProtocolException e = bad("[\"1\",\"2\",\"room:x\",\"ev\"," + payload + "]");
    assertEquals("bad frame: payload must be an object", e.reason());
    assertCarried(e, "1", "2", "room:x");
  }

  @Test
  void trailingValueAfterArray() {
    ProtocolException e = bad("[\"1\",\"2\",\"room:x\",\"ev\",{}] 1");
    assertEquals("bad frame: trailing data after the array", e.reason());
    assertCarried(e, "1", "2", "room:x");
  }

  @Test
  void secondArrayAfterArray() {
    ProtocolException e = bad("[\"1\",\"2\",\"room:x\",\"ev\",{}][\"1\",\"2\",\"room:x\",\"ev\",{}]");
    assertEquals("bad frame: trailing data after the array", e.reason());
    assertCarried(e, "1", "2", "room:x");
  }

  @Test
  void trailingGarbageAfterArray() {
    // not a JSON token at all: the parser itself fails, still with the header carried
    ProtocolException e = bad("[\"1\",\"2\",\"room:x\",\"ev\",{}]garbage");
    assertEquals("bad frame: not valid JSON", e.reason());
    assertCarried(e, "1", "2", "room:x");
  }

  @Test
  void trailingWhitespaceIsFine() throws Exception {
    assertEquals("room:x", decode("[\"1\",\"2\",\"room:x\",\"ev\",{}]  \n").topic());
  }

  @Test
  void payloadNestedTooDeep() {
    ProtocolException e = bad("[\"1\",\"2\",\"room:x\",\"ev\"," + nested(64) + "]");
    assertEquals("bad frame: not valid JSON", e.reason());
    assertCarried(e, "1", "2", "room:x");
  }

  @Test
  void payloadNestedFarTooDeep() {
    StringBuilder b = new StringBuilder("[\"1\",\"2\",\"room:x\",\"ev\",{\"a\":");
    b.append("[".repeat(10_000)).append("]".repeat(10_000)).append("}]");
    ProtocolException e = bad(b.toString());
    assertEquals("bad frame: not valid JSON", e.reason());
    assertCarried(e, "1", "2", "room:x");
  }

  private static ByteString withBytes(String before, byte[] raw, String after) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.writeBytes(before.getBytes(StandardCharsets.UTF_8));
    o.writeBytes(raw);
    o.writeBytes(after.getBytes(StandardCharsets.UTF_8));
    return ByteString.fromArray(o.toByteArray());
  }

  @Test
  void invalidUtf8InTopic() {
    ProtocolException e = bad(withBytes("[\"1\",\"2\",\"room:", new byte[] {(byte) 0xC3, (byte) 0x28}, "\",\"ev\",{}]"));
    assertEquals("bad frame: not valid JSON", e.reason());
    assertCarried(e, "1", "2", null);
  }

  @Test
  void invalidUtf8InPayloadString() {
    // a lone continuation byte, then a 2-byte lead followed by ASCII
    ProtocolException e = bad(withBytes("[\"1\",\"2\",\"room:x\",\"ev\",{\"a\":\"x", new byte[] {(byte) 0xC3, (byte) 0x28}, "\"}]"));
    assertEquals("bad frame: not valid JSON", e.reason());
    assertCarried(e, "1", "2", "room:x");
  }

  @Test
  void invalidUtf8ByteFFInPayloadString() {
    ProtocolException e = bad(withBytes("[\"1\",\"2\",\"room:x\",\"ev\",{\"a\":\"", new byte[] {(byte) 0xFF}, "\"}]"));
    assertEquals("bad frame: not valid JSON", e.reason());
    assertCarried(e, "1", "2", "room:x");
  }

  @Test
  void truncatedUtf8SequenceInPayloadString() {
    // a 3-byte lead with only one continuation byte before the closing quote
    ProtocolException e = bad(withBytes("[\"1\",\"2\",\"room:x\",\"ev\",{\"a\":\"", new byte[] {(byte) 0xE6, (byte) 0x97}, "\"}]"));
    assertEquals("bad frame: not valid JSON", e.reason());
    assertCarried(e, "1", "2", "room:x");
  }

  @Test
  void utf16InputIsRefusedNotDecodedIntoAnEmptyPayload() {
    byte[] utf16 = "[\"1\",\"2\",\"room:lobby\",\"msg\",{\"body\":\"hi\"}]"
        .getBytes(StandardCharsets.UTF_16LE);
    assertThrows(ProtocolException.class, () -> FrameCodec.decode(ByteString.fromArray(utf16)));
  }

  @Test
  void anEscapedUnpairedSurrogateInATopicIsRefusedWithItsRef() {
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> FrameCodec.decode(ByteString.fromString("[\"1\",\"2\",\"room:\\ud800\",\"phx_join\",{}]")));
    assertEquals("2", e.ref());
    assertTrue(e.reason().contains("surrogate"), e.reason());
    // and the error reply for it can be encoded
    assertTrue(FrameCodec.replyError(e.joinRef(), e.ref(), "phoenix", e.reason()).size() > 0);
  }

  @Test
  void renderedSizeIsTheSizeOfTheEncodedFrameForEveryKindOfCharacter() {
    StringBuilder every = new StringBuilder();
    for (char c = 0; c < 0x800; c++) if (!Character.isSurrogate(c)) every.append(c);
    every.append("\u20ac\uffff").appendCodePoint(0x1F600).appendCodePoint(0x10FFFF);
    String[] strings = {"", "msg", "room:lobby", "a\"b\\c/d", "\u0000\u0001\u001f\b\t\n\f\r\u007f", "\u00e9t\u00e9",
        "\ud83d\ude00".repeat(100), every.toString()};
    ByteString payload = bs("{\"body\":\"x\"}");
    for (String s : strings) {
      for (String ref : new String[] {null, "7", s}) {
        assertEquals(FrameCodec.encode(ref, ref, "room:" + s, s, payload).size(),
            FrameCodec.renderedSize(ref, ref, "room:" + s, s, payload), "fields " + MAPPER.valueToTree(s));
      }
    }
    Frame f = new Frame("1", "2", "room:lobby", "msg", payload);
    assertEquals(FrameCodec.encode("1", "2", "room:lobby", "msg", payload).size(), FrameCodec.renderedSize(f));
  }

  @Test
  void utf8LengthCountsBytesNotCharacters() {
    assertEquals(0, FrameCodec.utf8Length(""));
    assertEquals(3, FrameCodec.utf8Length("msg"));
    assertEquals(5, FrameCodec.utf8Length("\u00e9t\u00e9"));
    assertEquals(4, FrameCodec.utf8Length("\ud83d\ude00"), "a non-BMP character is 4 bytes, 2 chars");
    String text = "\u20ac\ud83d\ude00x\u0100";
    assertEquals(text.getBytes(StandardCharsets.UTF_8).length, FrameCodec.utf8Length(text));
  }
}
