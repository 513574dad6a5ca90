package dev.chorus.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class HookRequestTest {

  @Test
  void commonFieldsThenTheHooksOwn() throws Exception {
    ObjectNode fields = HookRequest.fields();
    fields.put("topic", "room:lobby");
    fields.put("event", "msg");
    fields.set("payload", HookRequest.JSON.readTree("{\"body\":\"hi\"}"));
    byte[] body = HookRequest.render("publish", "req-1", "pekko://chorus@10.0.0.1:25520", 1700000000000L, "ann", "c-1", fields);
    assertEquals("{\"hook\":\"publish\",\"request_id\":\"req-1\",\"node\":\"pekko://chorus@10.0.0.1:25520\",\"ts\":1700000000000,"
        + "\"user\":\"ann\",\"conn_id\":\"c-1\",\"topic\":\"room:lobby\",\"event\":\"msg\",\"payload\":{\"body\":\"hi\"}}",
        new String(body, java.nio.charset.StandardCharsets.UTF_8));
    JsonNode parsed = HookRequest.JSON.readTree(body);
    assertEquals("c-1", parsed.get("conn_id").asText());
  }
}
