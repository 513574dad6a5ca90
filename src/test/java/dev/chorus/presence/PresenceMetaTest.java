package dev.chorus.presence;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.testkit.PhxClient;
import dev.chorus.testkit.TestNodeExtension;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * chorus.presence.max-meta-bytes bounds bytes, as the meta is stored, replicated and sent: before,
 * it counted characters, and a meta of 3 000 bytes in multi-byte characters passed a 1 KiB limit.
 */
class PresenceMetaTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int LIMIT = 1024;
  /** {@code {"s":""}}: what the meta costs around its string. */
  static final int AROUND = 8;

  @RegisterExtension
  static final TestNodeExtension NODE = new TestNodeExtension("chorus.namespaces.room.presence = on");

  /** A meta {"s": ...} of exactly {@code bytes} bytes of JSON, in {@code unit} characters, padded with ASCII. */
  static String meta(int bytes, String unit) {
    int unitBytes = unit.getBytes(StandardCharsets.UTF_8).length;
    int room = bytes - AROUND;
    String s = unit.repeat(room / unitBytes) + "a".repeat(room % unitBytes);
    String meta = "{\"s\":\"" + s + "\"}";
    assertEquals(bytes, meta.getBytes(StandardCharsets.UTF_8).length);
    return meta;
  }

  static JsonNode payload(String meta) throws Exception {
    return JSON.readTree("{\"meta\":" + meta + "}");
  }

  @Test
  void multiByteMetasAreMeasuredInBytes() throws Exception {
    for (String unit : new String[] {"é", "€", "😀"}) {
      assertEquals(LIMIT - 1, PresenceMeta.custom(payload(meta(LIMIT - 1, unit)), LIMIT).toString().getBytes(StandardCharsets.UTF_8).length);
      assertEquals(LIMIT, PresenceMeta.custom(payload(meta(LIMIT, unit)), LIMIT).toString().getBytes(StandardCharsets.UTF_8).length);
      String over = meta(LIMIT + 1, unit);
      assertTrue(over.length() < LIMIT, unit + ": fewer characters than the limit, more bytes");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PresenceMeta.custom(payload(over), LIMIT), unit);
      assertEquals("presence meta too large", e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> PresenceMeta.custom(payload(meta(3000, unit)), LIMIT), unit);
    }
  }

  @Test
  void aJoinWithAMultiByteMetaOverTheLimitIsRefused() throws Exception {
    try (PhxClient s = PhxClient.connect(NODE.port())) {
      s.sendJoin("room:meta-at", "1", "{\"meta\":" + meta(LIMIT, "€") + "}");
      assertEquals("ok", PhxClient.status(s.reply("1")));
      s.sendJoin("room:meta-over", "2", "{\"meta\":" + meta(LIMIT + 1, "€") + "}");
      JsonNode reply = s.reply("2");
      assertEquals("error", PhxClient.status(reply));
      assertEquals("presence meta too large", PhxClient.reason(reply));
      s.assertHeartbeatAnswered();
    }
  }
}
