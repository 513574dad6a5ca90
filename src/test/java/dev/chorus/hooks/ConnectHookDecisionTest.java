package dev.chorus.hooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.chorus.auth.Identity;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link ConnectHook}'s request fields and decisions, without HTTP. */
class ConnectHookDecisionTest {
  static final Identity TOKEN = new Identity("tok-user", List.of("room:*"), HookRequest.fields().put("from", "token"),
      Instant.parse("2030-01-01T00:00:00Z"));

  static HookResult answered(String json) throws Exception {
    return new HookResult.Answered(HookAnswer.verdict(json.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void fieldsCarryParamsWithoutVsnAndOnlyTheAllowedHeaders() {
    ObjectNode f = ConnectHook.fields(Map.of("vsn", "2.0.0", "room", "7"), Map.of("cookie", "s=1", "authorization", "Bearer x"),
        List.of("cookie", "x-absent"), "10.0.0.9", "websocket", TOKEN);
    assertEquals("{\"room\":\"7\"}", f.get("params").toString());
    assertEquals("{\"cookie\":\"s=1\"}", f.get("headers").toString());
    assertEquals("10.0.0.9", f.get("remote_addr").asText());
    assertEquals("websocket", f.get("transport").asText());
    assertEquals("tok-user", f.get("token_subject").asText());
  }

  @Test
  void anAllowWithAUserMakesAnIdentity() throws Exception {
    ConnectHook.Decision d = ConnectHook.decide(answered("{\"result\":\"allow\",\"user\":\"ann\",\"topics\":[\"chat:{sub}\"],\"meta\":{\"n\":1}}"), null);
    assertNull(d.refusal());
    assertEquals("ann", d.identity().subject());
    assertTrue(d.identity().mayJoin("chat:ann"));
    assertFalse(d.identity().mayJoin("chat:bob"));
    assertEquals(1, d.identity().presenceMeta().get("n").asInt());
    assertTrue(d.identity().expiresAt().isAfter(Instant.now().plusSeconds(86400L * 365 * 50)), "no token: no expiry");
  }

  @Test
  void anAllowedUserWithoutTopicsMayJoinAnyAndKeepsTheTokensExpiry() throws Exception {
    ConnectHook.Decision d = ConnectHook.decide(answered("{\"result\":\"allow\",\"user\":\"ann\"}"), TOKEN);
    assertTrue(d.identity().mayJoin("anything:at-all"));
    assertEquals(TOKEN.expiresAt(), d.identity().expiresAt());
    assertEquals("token", d.identity().presenceMeta().get("from").asText());
  }

  @Test
  void anAllowWithoutAUserKeepsTheTokensIdentityOrNone() throws Exception {
    assertSame(TOKEN, ConnectHook.decide(answered("{\"result\":\"allow\"}"), TOKEN).identity());
    assertNull(ConnectHook.decide(answered("{\"result\":\"allow\"}"), null).identity());
  }

  @Test
  void aRefusalIs403AndAFailure503() throws Exception {
    ConnectHook.Decision refused = ConnectHook.decide(answered("{\"result\":\"refuse\",\"reason\":\"banned\"}"), null);
    assertEquals(403, refused.status());
    assertEquals("banned", refused.refusal());
    ConnectHook.Decision failed = ConnectHook.decide(new HookResult.Failed(HookResult.FailureKind.TIMEOUT), null);
    assertEquals(503, failed.status());
    assertEquals("backend timeout", failed.refusal());
  }

  @Test
  void anyConfiguredFindsAHookUrlWhereverItIs() {
    Config base = ConfigFactory.load().getConfig("chorus");
    assertFalse(Hooks.anyConfigured(base));
    assertTrue(Hooks.anyConfigured(ConfigFactory.parseString("hooks.connect.url = \"http://a\"").withFallback(base)));
    assertTrue(Hooks.anyConfigured(ConfigFactory.parseString("namespace-defaults.hooks.join.url = \"http://a\"").withFallback(base)));
    assertTrue(Hooks.anyConfigured(ConfigFactory.parseString("namespaces.chat.hooks.rpc.url = \"http://a\"").withFallback(base)));
  }
}
