package dev.chorus.transport;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** A poll's answer: the frames' text payloads as phoenix.js's LongPoll reads them. */
class PollAnswerTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void messagesAreTheFramesTextsAsJsonStrings() throws Exception {
    String frame = "[null,\"1:5\",\"room:lobby\",\"msg\",{\"body\":\"h\\\"i\\\\ \u00e9 \u2603\"}]";
    JsonNode json = JSON.readTree(PollAnswer.messages("tok", List.of(utf8(frame), utf8("[1]"))).json());
    assertEquals(200, json.get("status").asInt());
    assertEquals("tok", json.get("token").asText());
    assertEquals(frame, json.get("messages").get(0).asText(), "the frame, unchanged, once parsed by the client");
    assertEquals("[1]", json.get("messages").get(1).asText());
  }

  @Test
  void controlCharactersAreEscaped() throws Exception {
    String text = "a\nb\tc\u0001d\re";
    JsonNode json = JSON.readTree(PollAnswer.messages("t", List.of(utf8(text))).json());
    assertEquals(text, json.get("messages").get(0).asText());
  }

  @Test
  void theOtherAnswers() throws Exception {
    assertEquals("{\"status\":204,\"token\":\"t\",\"messages\":[]}", new String(PollAnswer.noContent("t").json(), StandardCharsets.UTF_8));
    assertEquals("{\"status\":410,\"token\":\"t\",\"messages\":[]}", new String(PollAnswer.created("t").json(), StandardCharsets.UTF_8));
    assertEquals("{\"status\":410}", new String(PollAnswer.gone().json(), StandardCharsets.UTF_8));
    assertEquals("{\"status\":200}", new String(PollAnswer.posted().json(), StandardCharsets.UTF_8));
    PollAnswer refused = PollAnswer.refused(429, "too \"many\"");
    assertEquals(429, refused.httpStatus());
    assertEquals("{\"status\":500,\"error\":\"too \\\"many\\\"\"}", new String(refused.json(), StandardCharsets.UTF_8));
    assertEquals(403, JSON.readTree(PollAnswer.forbidden("origin").json()).get("status").asInt());
  }

  @Test
  void theTextsOfABatchOfRenderedFramesOfEverySize() {
    String small = "[null,null,\"t\",\"e\",{}]";
    String medium = "[\"" + "m".repeat(300) + "\"]";   // 16-bit length
    String large = "[\"" + "l".repeat(70_000) + "\"]"; // 64-bit length
    ByteBuf batch = Unpooled.buffer();
    for (String s : List.of(small, medium, large)) batch.writeBytes(WebSocketFrames.textBytes(ByteString.fromString(s)).toArray());
    try {
      List<byte[]> texts = PollAnswer.textPayloads(batch);
      assertEquals(3, texts.size());
      assertEquals(small, new String(texts.get(0), StandardCharsets.UTF_8));
      assertEquals(medium, new String(texts.get(1), StandardCharsets.UTF_8));
      assertEquals(large, new String(texts.get(2), StandardCharsets.UTF_8));
    } finally {
      batch.release();
    }
  }

  @Test
  void binaryFramesAreLeftOutOfAnAnswer() {
    ByteBuf batch = Unpooled.buffer();
    batch.writeBytes(new byte[] {(byte) 0x82, 3, 1, 2, 3}); // a binary frame of 3 bytes
    batch.writeBytes(WebSocketFrames.textBytes(ByteString.fromString("[2]")).toArray());
    try {
      List<byte[]> texts = PollAnswer.textPayloads(batch);
      assertEquals(1, texts.size());
      assertEquals("[2]", new String(texts.get(0), StandardCharsets.UTF_8));
      assertFalse(PollAnswer.carried(WebSocketFrames.OP_BINARY));
    } finally {
      batch.release();
    }
  }
}
