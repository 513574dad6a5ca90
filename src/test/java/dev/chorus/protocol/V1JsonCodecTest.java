package dev.chorus.protocol;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** Phoenix's V1 JSON serializer (vsn=1.0.0): decoding client messages, encoding, and V2 frames rendered in V1. */
class V1JsonCodecTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  static ByteString bs(String s) {
    return ByteString.fromString(s, StandardCharsets.UTF_8);
  }

  static String str(ByteString b) {
    return b.decodeString(StandardCharsets.UTF_8);
  }

  static Frame decode(String s) throws ProtocolException {
    return V1JsonCodec.decode(bs(s));
  }

  static ProtocolException bad(String s) {
    return assertThrows(ProtocolException.class, () -> decode(s));
  }

  @Test
  void aPushDecodesToTheSameFrameAsV2() throws Exception {
    Frame f = decode("{\"topic\":\"room:lobby\",\"event\":\"msg\",\"payload\":{\"body\":\"hi\",\"n\":[1,2]},\"ref\":\"7\"}");
    assertEquals(new Frame(null, "7", "room:lobby", "msg", bs("{\"body\":\"hi\",\"n\":[1,2]}")), f);
    assertEquals(FrameCodec.decode(bs("[null,\"7\",\"room:lobby\",\"msg\",{\"body\":\"hi\",\"n\":[1,2]}]")), f);
  }

  @Test
  void keysInAnyOrderOtherKeysIgnoredJoinRefKept() throws Exception {
    Frame f = decode("{\"ref\":null,\"extra\":{\"deep\":[{}]},\"payload\":{},\"join_ref\":\"3\",\"event\":\"heartbeat\",\"topic\":\"phoenix\"}");
    assertEquals(new Frame("3", null, "phoenix", "heartbeat", bs("{}")), f);
    assertTrue(f.isHeartbeat());
  }

  @Test
  void aJoinWithoutJoinRefTakesItsRefAsJoinRef() throws Exception {
    Frame join = decode("{\"topic\":\"room:a\",\"event\":\"phx_join\",\"payload\":{},\"ref\":\"1\"}");
    assertEquals("1", join.joinRef());
    assertEquals("1", join.ref());
    Frame push = decode("{\"topic\":\"room:a\",\"event\":\"msg\",\"payload\":{},\"ref\":\"2\"}");
    assertNull(push.joinRef(), "a push without join_ref matches any join of its topic");
  }

  @Test
  void badMessagesGetAReasonAndTheRefWhenItCouldBeRead() {
    assertEquals("bad frame: expected a JSON object", bad("[null,\"1\",\"t\",\"e\",{}]").reason());
    assertNull(bad("[null,\"1\",\"t\",\"e\",{}]").ref(), "a V2 array has no readable ref here: close 4002");
    ProtocolException e = bad("{\"topic\":\"t\",\"event\":\"e\",\"ref\":\"5\"}");
    assertEquals("bad frame: missing key payload", e.reason());
    assertEquals("5", e.ref());
    assertEquals("t", e.topic());
    assertEquals("bad frame: missing key ref", bad("{\"topic\":\"t\",\"event\":\"e\",\"payload\":{}}").reason());
    assertEquals("bad frame: missing key topic", bad("{\"event\":\"e\",\"payload\":{},\"ref\":\"1\"}").reason());
    assertEquals("bad frame: missing key event", bad("{\"topic\":\"t\",\"payload\":{},\"ref\":\"1\"}").reason());
    e = bad("{\"topic\":\"t\",\"event\":\"e\",\"payload\":[],\"ref\":\"9\"}");
    assertEquals("bad frame: payload must be an object", e.reason());
    assertEquals("9", e.ref());
    assertEquals("bad frame: topic must be a string", bad("{\"topic\":1,\"event\":\"e\",\"payload\":{},\"ref\":\"1\"}").reason());
    assertEquals("bad frame: event must be a string", bad("{\"topic\":\"t\",\"event\":null,\"payload\":{},\"ref\":\"1\"}").reason());
    assertEquals("bad frame: ref must be a string or null", bad("{\"topic\":\"t\",\"event\":\"e\",\"payload\":{},\"ref\":1}").reason());
    assertEquals("bad frame: join_ref must be a string or null",
        bad("{\"topic\":\"t\",\"event\":\"e\",\"payload\":{},\"ref\":\"1\",\"join_ref\":{}}").reason());
    assertEquals("bad frame: not valid JSON", bad("{\"topic\":\"t\",").reason());
    assertEquals("bad frame: expected a JSON object", bad("").reason());
    assertEquals("bad frame: trailing data after the object", bad("{\"topic\":\"t\",\"event\":\"e\",\"payload\":{},\"ref\":\"1\"} {}").reason());
    assertEquals("bad frame: topic has an unpaired surrogate",
        bad("{\"ref\":\"1\",\"topic\":\"\\ud800\",\"event\":\"e\",\"payload\":{}}").reason());
    assertEquals("bad frame: not valid JSON",
        bad("{\"topic\":\"t\",\"event\":\"e\",\"ref\":\"1\",\"payload\":" + "[".repeat(100) + "]".repeat(100) + "}").reason(),
        "nesting deeper than 64, as V2");
  }

  @Test
  void encodeWritesTheFourKeysAndNoJoinRef() throws Exception {
    String s = str(V1JsonCodec.encode("3", "room:\"q\"", "msg", bs("{\"a\":1}")));
    assertEquals("{\"topic\":\"room:\\\"q\\\"\",\"event\":\"msg\",\"payload\":{\"a\":1},\"ref\":\"3\"}", s);
    JsonNode n = MAPPER.readTree(s);
    assertFalse(n.has("join_ref"));
    assertTrue(n.get("ref").isTextual());
    assertTrue(MAPPER.readTree(str(V1JsonCodec.encode(null, "t", "e", bs("{}")))).get("ref").isNull());
  }

  @Test
  void v2FramesRenderedInV1() throws Exception {
    // a reply: Phoenix's V1 {"topic","event":"phx_reply","payload":{"status","response"},"ref"}
    assertEquals("{\"topic\":\"room:a\",\"event\":\"phx_reply\",\"payload\":{\"status\":\"ok\",\"response\":{\"epoch\":\"e1\",\"seq\":0}},\"ref\":\"1\"}",
        str(V1JsonCodec.fromV2(FrameCodec.replyOk("1", "1", "room:a", bs("{\"epoch\":\"e1\",\"seq\":0}")))));
    assertEquals("{\"topic\":\"room:a\",\"event\":\"phx_reply\",\"payload\":{\"status\":\"error\",\"response\":{\"reason\":\"room full\"}},\"ref\":\"4\"}",
        str(V1JsonCodec.fromV2(FrameCodec.replyError("1", "4", "room:a", "room full"))));
    // a broadcast keeps its position as its ref; phx_close its join's ref
    assertEquals("{\"topic\":\"room:a\",\"event\":\"msg\",\"payload\":{\"b\":\"\u00e9\"},\"ref\":\"ep:12\"}",
        str(V1JsonCodec.fromV2(FrameCodec.encode(null, "ep:12", "room:a", "msg", bs("{\"b\":\"\u00e9\"}")))));
    assertEquals("{\"topic\":\"room:a\",\"event\":\"phx_close\",\"payload\":{},\"ref\":\"1\"}",
        str(V1JsonCodec.fromV2(FrameCodec.joinEvent("1", "room:a", Events.CLOSE))));
    // and what V1 renders, V1 decodes back to the frame (less the join_ref)
    ByteString v2 = FrameCodec.encode("9", "8", "room:a", "msg", bs("{\"x\":[1,{\"y\":null}]}"));
    assertEquals(new Frame(null, "8", "room:a", "msg", bs("{\"x\":[1,{\"y\":null}]}")), V1JsonCodec.decode(V1JsonCodec.fromV2(v2)));
    assertThrows(IllegalArgumentException.class, () -> V1JsonCodec.fromV2(bs("{}")));
  }

  @Test
  void theVsnParameterChoosesTheSerializer() {
    assertEquals(Vsn.V2, Vsn.of(null));
    assertEquals(Vsn.V2, Vsn.of("2.0.0"));
    assertEquals(Vsn.V1, Vsn.of("1.0.0"));
    assertEquals(Vsn.V1, Vsn.of("1.0.3"));
    for (String unknown : new String[] {"1.1.0", "1", "1.0", "3.0.0", "", "v2"}) assertNull(Vsn.of(unknown), unknown);
  }
}
