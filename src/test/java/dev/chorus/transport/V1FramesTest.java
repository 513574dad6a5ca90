package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import dev.chorus.protocol.FrameCodec;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** V2 text frames rendered again for V1 connections; everything else passes unchanged; every buffer released. */
class V1FramesTest {

  static String payloadOf(ByteBuf frame) {
    byte[] all = new byte[frame.readableBytes()];
    frame.getBytes(frame.readerIndex(), all);
    return WebSocketFrames.textPayload(ByteString.fromArrayUnsafe(all)).utf8String();
  }

  @Test
  void aV2TextFrameIsRenderedInV1AndReleased() {
    ByteBuf v2 = WebSocketFrames.text(FrameCodec.replyOk("1", "2", "room:a"));
    ByteBuf v1 = V1Frames.toV1(v2);
    try {
      assertEquals(0, v2.refCnt(), "the V2 frame was released");
      assertEquals("{\"topic\":\"room:a\",\"event\":\"phx_reply\",\"payload\":{\"status\":\"ok\",\"response\":{}},\"ref\":\"2\"}", payloadOf(v1));
    } finally {
      v1.release();
    }
  }

  @Test
  void framesWithLongerHeadersToo() {
    for (int size : new int[] {200, 70_000}) { // a 2-byte and an 8-byte length
      String body = "x".repeat(size);
      ByteBuf v2 = WebSocketFrames.text(FrameCodec.encode(null, "e:1", "room:a", "msg", ByteString.fromString("{\"b\":\"" + body + "\"}")));
      ByteBuf v1 = V1Frames.render(v2);
      try {
        assertEquals("{\"topic\":\"room:a\",\"event\":\"msg\",\"payload\":{\"b\":\"" + body + "\"},\"ref\":\"e:1\"}", payloadOf(v1));
        assertEquals(1, v2.refCnt(), "render leaves the shared frame to its owner");
      } finally {
        v1.release();
        v2.release();
      }
    }
  }

  @Test
  void framesInV1AlreadyAndOtherFramesPassUnchanged() {
    ByteBuf v1 = WebSocketFrames.text(ByteString.fromString("{\"topic\":\"t\",\"event\":\"e\",\"payload\":{},\"ref\":null}"));
    assertSame(v1, V1Frames.toV1(v1));
    v1.release();
    ByteBuf pong = WebSocketFrames.pong(ByteString.fromString("[p]", StandardCharsets.UTF_8));
    assertSame(pong, V1Frames.toV1(pong));
    assertEquals(1, pong.refCnt());
    pong.release();
  }

  @Test
  void aV1QueueRendersWhatItIsOffered() {
    OutboundQueue q = new OutboundQueue(10, 1 << 20, new dev.chorus.metrics.Metrics());
    q.vsn(dev.chorus.protocol.Vsn.V1);
    assertTrue(q.speaksV1());
    assertTrue(q.offer(WebSocketFrames.text(FrameCodec.joinEvent("1", "room:a", "phx_close"))));
    ByteBuf polled = q.poll(1 << 20);
    try {
      assertEquals("{\"topic\":\"room:a\",\"event\":\"phx_close\",\"payload\":{},\"ref\":\"1\"}", payloadOf(polled));
    } finally {
      polled.release();
      q.terminate();
    }
  }
}
