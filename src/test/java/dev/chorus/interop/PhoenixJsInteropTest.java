package dev.chorus.interop;

import static org.junit.jupiter.api.Assertions.*;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.chorus.ChorusNode;
import dev.chorus.testkit.HookBackend;
import dev.chorus.testkit.TestNode;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The real phoenix.js client (npm {@code phoenix}, with {@code ws} as its transport, pinned in
 * src/test/js/package.json and installed by the build) against a real node: join, push, replies,
 * broadcasts, unknown namespace, phx_error then automatic rejoin, heartbeats, leave; presence;
 * binary payloads.
 */
class PhoenixJsInteropTest {

  @Test
  void thePhoenixJsClientWorksUnchanged() throws Exception {
    run("interop.mjs", "", "7 passed, 0 failed");
  }

  /** phoenix.js's Presence: onSync, two tabs as one key with two metas, leaves, custom meta. */
  @Test
  void phoenixJsPresenceWorksUnchanged() throws Exception {
    run("presence.mjs", "chorus.namespaces.room.presence = on", "4 passed, 0 failed");
  }

  /**
   * phoenix.js over its LongPoll transport ({@code transport: LongPoll}) with a WebSocket client in
   * the same room, both ways; and {@code longPollFallbackMs} through a proxy that refuses
   * WebSocket upgrades ends on LongPoll and works (src/test/js/longpoll.mjs).
   */
  @Test
  void phoenixJsOverLongPollAndItsFallbackWork() throws Exception {
    run("longpoll.mjs", "chorus.longpoll { window = 2 s, idle-timeout = 4 s, forward-timeout = 5 s }", "2 passed, 0 failed");
  }

  /**
   * Binary payloads (Phoenix V2 binary): an ArrayBuffer pushed by one phoenix.js socket reaches
   * both as an ArrayBuffer with the same bytes, in push order with JSON pushes; a backend's
   * binary publish (raw body and base64) arrives too.
   */
  @Test
  void phoenixJsBinaryPayloadsWork() throws Exception {
    run("binary.mjs", "chorus.api.key = \"" + API_KEY + "\"", "5 passed, 0 failed");
  }

  private static final String API_KEY = "interop-api-key";

  /**
   * Server-side subscriptions (POST /api/subscribe): phoenix.js hands the topic's broadcasts to a
   * {@code socket.channel(topic)} handler that never joined, and not another user's; a later
   * join of that channel replaces the server-side membership, one copy of each message.
   */
  @Test
  void aServerSideSubscriptionReachesAPhoenixJsChannelHandler() throws Exception {
    run("serverside.mjs", "chorus.api.key = \"" + API_KEY + "\"", "4 passed, 0 failed");
  }

  /**
   * phoenix.js's authToken option (the token in a subprotocol) on a node in profile prod: a valid
   * token connects, joins and pushes; a bad one (signed with another secret) never opens.
   */
  @Test
  void phoenixJsAuthTokenConnectsOrIsRefused() throws Exception {
    String secret = "an-interop-secret-of-at-least-32-bytes";
    run("authtoken.mjs", "chorus.profile = prod\nchorus.auth.hs256-secret = \"" + secret + "\"", "2 passed, 0 failed",
        Map.of("CHORUS_TOKEN", hs256(secret, "ada"), "CHORUS_BAD_TOKEN", hs256("another-secret-of-at-least-32-bytes!!", "ada")));
  }

  /**
   * phoenix.js against the default limits: a burst of 1 000 pushes to one topic, all answered ok
   * and delivered in order to the publisher and a witness; 1 000 pushed right after join(),
   * before its reply (phoenix.js flushes them on the reply); 800 over three topics, all ok.
   */
  @Test
  void phoenixJsBurstsPassTheDefaultLimits() throws Exception {
    run("burst.mjs", "", "3 passed, 0 failed");
  }

  /**
   * phoenix.js with the hooks on (src/test/js/hooks.mjs) and a real backend here: a join gets the
   * join hook's reply, an RPC push the backend's answer (and no broadcast), a refused publish the
   * backend's reason as its error reply, while an allowed one reaches a witness.
   */
  @Test
  void phoenixJsWithHooks() throws Exception {
    String secret = "interop-hooks-secret";
    try (HookBackend backend = new HookBackend(secret, r -> switch (r.path()) {
      case "/join" -> HookBackend.Answer.json("{\"result\":\"allow\",\"reply\":{\"role\":\"member\"}}");
      case "/rpc" -> HookBackend.Answer.json("{\"reply\":{\"name\":\"Ann\"}}");
      default -> HookBackend.Answer.json("bad".equals(r.body().path("payload").path("body").asText())
          ? "{\"result\":\"refuse\",\"reason\":\"no bad words\"}" : "{\"result\":\"allow\"}");
    })) {
      run("hooks.mjs", """
          chorus.hooks.secret = "%s"
          chorus.namespaces.room.hooks {
            join.url = "%s"
            rpc { url = "%s", events = ["get_profile"] }
            publish.url = "%s"
          }
          """.formatted(secret, backend.url("/join"), backend.url("/rpc"), backend.url("/publish")), "3 passed, 0 failed");
      assertTrue(backend.received().stream().allMatch(HookBackend.Received::signed), "every hook request signed");
    }
  }

  /** A token for {@code sub}, valid for 10 minutes, allowing room:*, signed with {@code secret}. */
  private static String hs256(String secret, String sub) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject(sub)
        .expirationTime(Date.from(Instant.now().plusSeconds(600))).claim("topics", List.of("room:*")).build());
    jwt.sign(new MACSigner(secret));
    return jwt.serialize();
  }

  private static void run(String script, String config, String expected) throws Exception {
    run(script, config, expected, Map.of());
  }

  private static void run(String script, String config, String expected, Map<String, String> env) throws Exception {
    File dir = new File("src/test/js");
    assertTrue(new File(dir, "node_modules/phoenix").isDirectory(),
        "npm packages missing: run `mvn -B verify` (its npm ci step installs them)");
    try (ChorusNode node = TestNode.start(config)) {
      ProcessBuilder pb = new ProcessBuilder("node", script)
          .directory(dir)
          .redirectErrorStream(true);
      pb.environment().put("CHORUS_URL", "ws://127.0.0.1:" + node.httpAddress().getPort() + "/socket");
      // The API for backends: only a node started with chorus.api.key answers it.
      String management = node.managementUri().toString();
      pb.environment().put("CHORUS_API_URL", management.endsWith("/") ? management.substring(0, management.length() - 1) : management);
      pb.environment().put("CHORUS_API_KEY", API_KEY);
      pb.environment().putAll(env);
      Process p = pb.start();
      try {
        // the scripts bound themselves (60 s, 90 s); this is the backstop
        boolean ended = p.waitFor(120, TimeUnit.SECONDS);
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.println(output);
        assertTrue(ended, "interop script did not end:\n" + output);
        assertEquals(0, p.exitValue(), "interop script failed:\n" + output);
        assertTrue(output.contains(expected), output);
      } finally {
        p.destroyForcibly();
      }
    }
  }
}
