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
 * broadcasts, unknown namespace, phx_error then automatic rejoin, heartbeats, leave.
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

  private static void run(String script, String config, String expected) throws Exception {
    File dir = new File("src/test/js");
    assertTrue(new File(dir, "node_modules/phoenix").isDirectory(),
        "npm packages missing: run `mvn -B verify` (its npm ci step installs them)");
    try (ChorusNode node = TestNode.start(config)) {
      ProcessBuilder pb = new ProcessBuilder("node", script)
          .directory(dir)
          .redirectErrorStream(true);
      pb.environment().put("CHORUS_URL", "ws://127.0.0.1:" + node.httpAddress().getPort() + "/socket");
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
