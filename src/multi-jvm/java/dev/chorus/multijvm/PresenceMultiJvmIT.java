package dev.chorus.multijvm;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Presence on three JVMs with the real phoenix.js client (src/test/js/presence-cluster.mjs):
 * 300 users join one room spread over the nodes; every client's Presence.list() converges to
 * the same 300 keys within {@link #CONVERGE_MS}; after node 3 is SIGKILLed its users vanish
 * from every surviving client's list within {@link #CLEANUP_MS}, and nobody else does.
 */
class PresenceMultiJvmIT {
  /** Documented bounds (docs/operations.md). */
  static final int CONVERGE_MS = 15_000;
  static final int CLEANUP_MS = 40_000;

  @Test
  void presenceConvergesAndForgetsADeadNode() throws Exception {
    try (LocalCluster cluster = LocalCluster.start("presence", 3, List.of())) {
      String urls = cluster.nodes.stream().map(n -> "ws://127.0.0.1:" + n.wsPort + "/socket").collect(Collectors.joining(","));
      ProcessBuilder pb = new ProcessBuilder("node", "presence-cluster.mjs").directory(new File("src/test/js")).redirectErrorStream(true);
      pb.environment().put("CHORUS_URLS", urls);
      pb.environment().put("CHORUS_USERS", "300");
      pb.environment().put("CHORUS_CONVERGE_MS", String.valueOf(CONVERGE_MS));
      pb.environment().put("CHORUS_CLEANUP_MS", String.valueOf(CLEANUP_MS));
      Process script = pb.start();
      try (BufferedReader out = new BufferedReader(new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8));
          OutputStream in = script.getOutputStream()) {
        String converged = out.readLine();
        assertNotNull(converged, "the script ended early\n" + cluster.logTails());
        assertTrue(converged.startsWith("converged "), converged + "\n" + cluster.logTails());
        cluster.node(3).kill();
        in.write("killed\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
        String cleaned = out.readLine();
        assertNotNull(cleaned, "the script ended early\n" + cluster.logTails());
        assertTrue(cleaned.startsWith("cleaned "), cleaned + "\n" + cluster.logTails());
        System.out.printf("presence: 300 users converged on 3 nodes after %s ms; node 3's users gone after %s ms%n",
            converged.substring(10), cleaned.substring(8));
        assertTrue(script.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, script.exitValue());
      } finally {
        script.destroyForcibly();
      }
    }
  }
}
