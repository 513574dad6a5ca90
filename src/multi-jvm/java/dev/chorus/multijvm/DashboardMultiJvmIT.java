package dev.chorus.multijvm;

import static org.junit.jupiter.api.Assertions.*;

import dev.chorus.testkit.NodeScript;
import java.io.File;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The operators' dashboard in a real headless Chromium against four real nodes:
 * src/test/js/dashboard.mjs (playwright-core, Debian's chromium) signs in on node 1's management
 * port (and is refused without the key), sees the four nodes, a phoenix.js client on node 2
 * counted, the live charts, the client's room inspected, a user disconnected, a publish from the
 * Actions form received by the client, node 4 killed (SIGKILL) shown unreachable, and node 3
 * drained from the overview: its phoenix.js client closed with 1012 and the node shown draining.
 * Screenshots of each view go to target/dashboard.
 */
class DashboardMultiJvmIT {
  /** Long enough for the overview (refreshed every 2 s) to show node 3 draining, short enough to end soon. */
  static final Duration DRAIN_WINDOW = Duration.ofSeconds(10);
  /**
   * How long the Split Brain Resolver waits before it downs node 4, which the script kills: its
   * card must show "unreachable" meanwhile (3 s by default, a window the overview's 2 s refresh
   * could miss). The script then waits for node 4 to be removed before it drains node 3: with
   * both gone at once, two of four, the resolver would see no majority.
   */
  static final Duration STABLE_AFTER = Duration.ofSeconds(10);

  @Test
  void anOperatorSeesTheClusterAndActsOnItFromTheBrowser() throws Exception {
    File dir = new File("src/test/js");
    assertTrue(new File(dir, "node_modules/playwright-core").isDirectory(),
        "npm packages missing: run `mvn -B verify` (its npm ci step installs them)");
    try (LocalCluster cluster = LocalCluster.start("dashboard", 4, List.of("-Dchorus.drain.window=" + DRAIN_WINDOW.toSeconds() + "s",
        "-Dpekko.cluster.split-brain-resolver.stable-after=" + STABLE_AFTER.toSeconds() + "s"))) {
      NodeProcess node1 = cluster.node(1);
      assertEquals(200, node1.get("/dashboard/assets/uPlot.iife.min.js").status(),
          "the node does not serve uPlot (the build copies it from src/test/js/node_modules/uplot)");

      File shots = new File("target/dashboard");
      Map<String, String> env = new HashMap<>();
      env.put("CHORUS_DASHBOARD", "http://" + node1.placement.managementHost() + ":" + node1.managementPort);
      env.put("CHORUS_ADMIN_KEY", NodeProcess.ADMIN_KEY);
      for (int i = 1; i <= 4; i++) {
        NodeProcess n = cluster.node(i);
        env.put("CHORUS_URL_" + i, "ws://" + n.placement.wsHost() + ":" + n.wsPort + "/socket");
        env.put("CHORUS_NODE_" + i, n.address());
      }
      env.put("CHORUS_NODE_4_PID", String.valueOf(cluster.node(4).pid())); // the script SIGKILLs node 4
      env.put("CHORUS_SCREENSHOTS", shots.getAbsolutePath());
      // the script bounds itself at 150 s; 210 s is the backstop
      NodeScript.Outcome run = NodeScript.run("dashboard.mjs", List.of(), env, new File(shots, "dashboard.log"), Duration.ofSeconds(210));
      assertTrue(run.ended(), "dashboard.mjs did not end:\n" + run.output() + cluster.logTails());
      assertEquals(0, run.exitValue(), "dashboard.mjs failed:\n" + run.output() + cluster.logTails());
      assertTrue(run.output().contains("15 passed, 0 failed"), run.output());

      // The drain was node 3's own: it leaves the cluster and exits, as POST /admin/drain does.
      assertTrue(cluster.node(3).awaitExit(Duration.ofSeconds(60)), "node 3 exits after the drain\n" + cluster.logTails());
      cluster.await("nodes 3 and 4 gone from the others' membership", Duration.ofSeconds(30),
          () -> List.of(node1, cluster.node(2)).stream().allMatch(n -> cluster.upMembers(n) == 2));
      // Every action was written to the audit log of the node that served the dashboard.
      String audit = node1.logText();
      for (String action : List.of("POST /dashboard/api/disconnect", "POST /dashboard/api/publish", "POST /dashboard/admin/nodes/drain")) {
        assertTrue(audit.contains(action), "the audit log has no " + action + "\n" + cluster.logTails());
      }
    }
  }
}
