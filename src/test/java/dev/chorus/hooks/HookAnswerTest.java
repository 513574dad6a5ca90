package dev.chorus.hooks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class HookAnswerTest {

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void allowAlone() throws Exception {
    HookAnswer a = HookAnswer.verdict(b("{\"result\":\"allow\"}"));
    assertTrue(a.allowed());
    assertNull(a.payload());
    assertNull(a.reply());
    assertNull(a.meta());
  }

  @Test
  void allowWithEveryField() throws Exception {
    HookAnswer a = HookAnswer.verdict(b("{\"result\":\"allow\",\"payload\":{\"body\":\"hi\"},\"binary\":\"AQI=\","
        + "\"reply\":{\"role\":\"admin\"},\"meta\":{\"name\":\"Ann\"},\"user\":\"u1\",\"topics\":[\"room:*\"]}"));
    assertEquals("{\"body\":\"hi\"}", a.payload().toString());
    assertArrayEquals(new byte[] {1, 2}, a.binary());
    assertEquals("admin", a.reply().get("role").asText());
    assertEquals("Ann", a.meta().get("name").asText());
    assertEquals("u1", a.user());
    assertEquals(List.of("room:*"), a.topics());
  }

  @Test
  void refuseWithReason() throws Exception {
    HookAnswer a = HookAnswer.verdict(b("{\"result\":\"refuse\",\"reason\":\"banned word\"}"));
    assertFalse(a.allowed());
    assertEquals("banned word", a.reason());
  }

  @Test
  void refuseWithoutReasonSaysRefused() throws Exception {
    assertEquals("refused", HookAnswer.verdict(b("{\"result\":\"refuse\"}")).reason());
  }

  @Test
  void aLongReasonIsCut() throws Exception {
    String reason = "x".repeat(1000);
    assertEquals(HookAnswer.MAX_REASON_LENGTH, HookAnswer.verdict(b("{\"result\":\"refuse\",\"reason\":\"" + reason + "\"}")).reason().length());
  }

  @Test
  void badVerdicts() {
    for (String bad : List.of("", "not json", "[]", "{}", "{\"result\":\"maybe\"}", "{\"result\":\"allow\",\"reply\":3}",
        "{\"result\":\"allow\",\"meta\":[]}", "{\"result\":\"allow\",\"user\":\"\"}", "{\"result\":\"allow\",\"topics\":\"room:*\"}",
        "{\"result\":\"allow\",\"topics\":[1]}", "{\"result\":\"allow\",\"binary\":\"***\"}", "{\"result\":\"refuse\",\"reason\":{}}")) {
      assertThrows(HookAnswer.BadAnswer.class, () -> HookAnswer.verdict(b(bad)), bad);
    }
  }

  @Test
  void rpcReplyAndError() throws Exception {
    HookAnswer ok = HookAnswer.rpc(b("{\"reply\":{\"name\":\"Ann\"}}"));
    assertTrue(ok.allowed());
    assertEquals("{\"name\":\"Ann\"}", ok.reply().toString());
    HookAnswer error = HookAnswer.rpc(b("{\"error\":\"no such user\"}"));
    assertFalse(error.allowed());
    assertEquals("no such user", error.reason());
    assertThrows(HookAnswer.BadAnswer.class, () -> HookAnswer.rpc(b("{\"result\":\"allow\"}")));
  }
}
