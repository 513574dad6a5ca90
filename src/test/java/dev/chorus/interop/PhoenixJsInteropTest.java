package dev.chorus.interop;

import static org.junit.jupiter.api.Assertions.*;

import dev.chorus.ChorusNode;
import dev.chorus.testkit.TestNode;
import java.io.File;
import java.nio.charset.StandardCharsets;
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
   * Binary payloads (Phoenix V2 binary): an ArrayBuffer pushed by one phoenix.js socket reaches
   * both as an ArrayBuffer with the same bytes, in push order with JSON pushes; a backend's
   * binary publish (raw body and base64) arrives too.
   */
  @Test
  void phoenixJsBinaryPayloadsWork() throws Exception {
    run("binary.mjs", "chorus.api.key = \"" + API_KEY + "\"", "5 passed, 0 failed");
  }

  private static final String API_KEY = "interop-api-key";

  private static void run(String script, String config, String expected) throws Exception {
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
      Process p = pb.start();
      try {
        // the script bounds itself at 60 s; this is the backstop
        boolean ended = p.waitFor(90, TimeUnit.SECONDS);
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
